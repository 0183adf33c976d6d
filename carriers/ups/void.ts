/**
 * @module carriers/ups/void
 * Voiding a UPS shipment. Source: carrier-specs/ups/Shipping.yaml, operation VoidShipment
 * (`DELETE /shipments/{version}/void/cancel/{shipmentidentificationnumber}`, v2409), answers
 * VoidShipmentResponse / ErrorResponse.
 *
 * The whole shipment is voided by its identification number, the first package's tracking number
 * (ShipmentResults.ShipmentIdentificationNumber; the label answer lists packages in order), so
 * every piece goes with one call. UPS documents no error code for "too late" (picked up,
 * manifested): any 4xx about the shipment is a refusal, with the carrier's message as the reason.
 */
import { z } from 'zod';

import { parseJson, type VoidAnswer, type VoidSupport } from '../../src/core/shipping-adapter.js';
import { reasonText } from '../_shared/carrier-reason.js';
import type { UpsShippingSettings } from './shipping.js';

/** Shipping.yaml VoidShipment: the path's version "v2409" (v3 is for Roadie shipments only). */
const UPS_VOID_PATH = 'api/shipments/v2409/void/cancel';

/** VoidShipmentResponse.SummaryResult.Status.Code; Response.ResponseStatus.Code "1 = Successful". */
const voidResponseSchema = z.object({
  VoidShipmentResponse: z.object({
    SummaryResult: z.object({ Status: z.object({ Code: z.string() }) }),
  }),
});

/** Shipping.yaml ErrorResponse: `{"response":{"errors":[{"code","message"}]}}`. */
const errorSchema = z.object({
  response: z.object({
    errors: z.array(z.object({ code: z.string(), message: z.string().optional() })).min(1),
  }),
});

function read(status: number, body: string): VoidAnswer {
  if (status >= 200 && status < 300) {
    const parsed = voidResponseSchema.safeParse(parseJson(body));
    if (!parsed.success) return { kind: 'unreadable' };
    return parsed.data.VoidShipmentResponse.SummaryResult.Status.Code === '1'
      ? { kind: 'voided' }
      : { kind: 'unreadable' };
  }
  const error = errorSchema.safeParse(parseJson(body)).data?.response.errors[0];
  return {
    kind: 'refused',
    ...(error !== undefined ? { carrierCode: error.code } : {}),
    reason: reasonText(error?.message, `UPS answered ${status}`),
  };
}

export const upsVoid: VoidSupport<UpsShippingSettings> = {
  offered: true,
  sources: ['../shared/carrier-specs/ups/Shipping.yaml VoidShipment'],
  build: ({ trackingNumbers }) => [
    {
      method: 'DELETE',
      path: `${UPS_VOID_PATH}/${encodeURIComponent(trackingNumbers[0] ?? '')}`,
      // transId and transactionSrc come from decorateUpsRequest (carriers/ups/api.ts).
      headers: {},
    },
  ],
  read,
};
