/**
 * @module carriers/dhl-parcel-de/void
 * Deleting a DHL Parcel DE shipment. Source: carrier-specs/dhl/parcel-de-shipping-v2_2.yaml,
 * operation ordersAccountDelete (`DELETE /orders?profile=…&shipment=…`): "Deletion of shipments is
 * only possible prior to them being manifested (closed out, 'Tagesabschluss')"; the answer is a
 * LabelDataResponse with one item per shipment whose `sstatus` is 200 (deleted) or 400, "when
 * shipment does not exist (or was already deleted)". The spec gives the manifested case no status
 * of its own, so every item-level 400 is a refusal with the carrier's detail as the reason.
 */
import { z } from 'zod';

import { reasonText } from '../_shared/carrier-reason.js';
import { parseJson, type VoidAnswer, type VoidSupport } from '../../src/core/shipping-adapter.js';
import type { DhlParcelDeShippingSettings } from './shipping.js';

/** The shipping API's orders resource, as the label call uses it (carriers/dhl-parcel-de/shipping.ts). */
const ORDERS_PATH = 'parcel/de/shipping/v2/orders';

/** RequestStatus: `status` (statusCode is its deprecated twin), title, detail (max 80). */
const statusSchema = z.object({
  title: z.string().optional(),
  status: z.number().int().optional(),
  statusCode: z.number().int().optional(),
  detail: z.string().optional(),
});

const responseSchema = z.object({
  status: statusSchema.optional(),
  items: z.array(z.object({ shipmentNo: z.string().optional(), sstatus: statusSchema })).optional(),
});

const codeOf = (status: z.infer<typeof statusSchema>) => status.status ?? status.statusCode;

function read(status: number, body: string): VoidAnswer {
  const parsed = responseSchema.safeParse(parseJson(body));
  if (!parsed.success) return status >= 400 ? refused(status, undefined) : { kind: 'unreadable' };
  const failed = (parsed.data.items ?? []).find((item) => codeOf(item.sstatus) !== 200);
  if (failed) return refused(codeOf(failed.sstatus) ?? status, failed.sstatus.detail ?? failed.sstatus.title);
  if (status >= 400) return refused(status, parsed.data.status?.detail ?? parsed.data.status?.title);
  return (parsed.data.items ?? []).length > 0 ? { kind: 'voided' } : { kind: 'unreadable' };
}

function refused(code: number, detail: string | undefined): VoidAnswer {
  return {
    kind: 'refused',
    carrierCode: String(code),
    reason: reasonText(detail, `DHL Parcel DE answered ${code}`),
  };
}

export const dhlParcelDeVoid: VoidSupport<DhlParcelDeShippingSettings> = {
  offered: true,
  sources: ['../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml ordersAccountDelete'],
  build: ({ trackingNumbers, settings }) => {
    // "If multiple shipments shall be canceled, the parameter must be added multiple times. Up to
    // 30 shipments can be canceled at once": each piece is a shipment number of its own here.
    const calls = [];
    for (let start = 0; start < trackingNumbers.length; start += 30) {
      const query = new URLSearchParams({ profile: settings.profile });
      for (const number of trackingNumbers.slice(start, start + 30)) query.append('shipment', number);
      calls.push({ method: 'DELETE' as const, path: `${ORDERS_PATH}?${query.toString()}`, headers: {} });
    }
    return calls;
  },
  read,
};
