/**
 * @module carriers/usps/void
 * Cancelling a USPS label. Source: carrier-specs/usps/domestic-labels.yaml, operation
 * delete-label-by-tracking (`DELETE /label/{trackingNumber}` under labels/v3, with the
 * X-Payment-Authorization-Token the label call used, injected by src/upstream for /labels/v3/):
 * "A label can be canceled if a Shipping Services File has not been created. If a Shipping
 * Services File has been created, submit a refund request for an unused label." The answer is a
 * CancelResponse: `CANCELED`, or `DISPUTED` (the refund request was submitted, which is the void
 * USPS offers after the file exists). A 400 ErrorMessage carries the reason in errors[].detail
 * (ExampleCancelError_NOTFOUND "Order not found", _REFUND_NOT_SUBMITTED, _REFUND_SAMELABEL_SAMEDAY).
 */
import { z } from 'zod';

import { reasonText } from '../_shared/carrier-reason.js';
import { parseJson, type VoidAnswer, type VoidSupport } from '../../src/core/shipping-adapter.js';
import type { UspsShippingSettings } from './shipping.js';

const USPS_CANCEL_PATH = 'labels/v3/label';

/** CancelResponse.status. */
const cancelSchema = z.object({ status: z.enum(['CANCELED', 'DISPUTED']) });

/** ErrorMessage: error.errors[{code, title, detail}]. */
const errorSchema = z.object({
  error: z.object({
    errors: z.array(z.object({ code: z.string().optional(), detail: z.string().optional() })).min(1),
  }),
});

/** ExampleCancelError_NOTFOUND: the label is not (or no longer) there. */
const NOT_FOUND_DETAIL = 'Order not found';

function read(status: number, body: string): VoidAnswer {
  if (status >= 200 && status < 300) {
    return cancelSchema.safeParse(parseJson(body)).success ? { kind: 'voided' } : { kind: 'unreadable' };
  }
  const error = errorSchema.safeParse(parseJson(body)).data?.error.errors[0];
  if (error?.detail === NOT_FOUND_DETAIL) return { kind: 'gone' };
  return {
    kind: 'refused',
    ...(error?.code !== undefined ? { carrierCode: error.code } : {}),
    reason: reasonText(error?.detail, `USPS answered ${status}`),
  };
}

export const uspsVoid: VoidSupport<UspsShippingSettings> = {
  offered: true,
  sources: ['../shared/carrier-specs/usps/domestic-labels.yaml delete-label-by-tracking'],
  // One label per tracking number (the adapter makes one label per shipment; each piece is cancelled).
  build: ({ trackingNumbers }) =>
    trackingNumbers.map((number) => ({
      method: 'DELETE' as const,
      path: `${USPS_CANCEL_PATH}/${encodeURIComponent(number)}`,
      headers: {},
    })),
  read,
};
