/**
 * @module carriers/fedex/void
 * Cancelling a FedEx shipment. Source: carrier-specs/fedex/Shipment-Resource.json, operation
 * "Cancel Shipment" (`PUT /ship/v1/shipments/cancel`, Full_Schema_Cancel_Shipment): accountNumber
 * and the tracking number, `deletionControl: DELETE_ALL_PACKAGES` "which will cancel all tracking
 * numbers associated to the shipment"; the answer's output.cancelledShipment says whether it was.
 * Only shipments "that have not already been tendered to FedEx" can be cancelled: a refusal comes
 * as cancelledShipment false or an error body, either way with the carrier's message as the reason.
 */
import { z } from 'zod';

import { parseJson, type VoidAnswer, type VoidSupport } from '../../src/core/shipping-adapter.js';
import { reasonText } from '../_shared/carrier-reason.js';
import type { FedexShippingSettings } from './shipping.js';

const FEDEX_CANCEL_PATH = 'ship/v1/shipments/cancel';

/** SHPCResponseVO_CancelShipment.output (CancelShipmentOutputVO). */
const cancelResponseSchema = z.object({
  output: z.object({
    cancelledShipment: z.boolean(),
    message: z.string().optional(),
    alerts: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});

/** ErrorResponseVO_2: `errors[{code, message}]`. */
const errorSchema = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional() })).min(1),
});

function read(status: number, body: string): VoidAnswer {
  if (status >= 200 && status < 300) {
    const output = cancelResponseSchema.safeParse(parseJson(body)).data?.output;
    if (!output) return { kind: 'unreadable' };
    if (output.cancelledShipment) return { kind: 'voided' };
    const alert = output.alerts?.[0];
    return {
      kind: 'refused',
      ...(alert?.code !== undefined ? { carrierCode: alert.code } : {}),
      reason: reasonText(alert?.message ?? output.message, 'FedEx did not cancel the shipment'),
    };
  }
  const error = errorSchema.safeParse(parseJson(body)).data?.errors[0];
  return {
    kind: 'refused',
    ...(error !== undefined ? { carrierCode: error.code } : {}),
    reason: reasonText(error?.message, `FedEx answered ${status}`),
  };
}

export const fedexVoid: VoidSupport<FedexShippingSettings> = {
  offered: true,
  sources: ['../shared/carrier-specs/fedex/Shipment-Resource.json Cancel Shipment'],
  build: ({ trackingNumbers, settings }) => [
    {
      method: 'PUT',
      path: FEDEX_CANCEL_PATH,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        accountNumber: { value: settings.accountNumber },
        // The master tracking number (the first piece's), with every package of the shipment.
        trackingNumber: trackingNumbers[0] ?? '',
        deletionControl: 'DELETE_ALL_PACKAGES',
      }),
    },
  ],
  read,
};
