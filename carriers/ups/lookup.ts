/**
 * @module carriers/ups/lookup
 * Finding a UPS shipment whose label answer was lost, by the reference its label request carried.
 * Source: carrier-specs/ups/Tracking.yaml, operation "Reference Tracking API"
 * (`GET /track/v1/reference/details/{referenceNumber}`, with `shipperNum` to keep to the account's
 * own shipments): 200 TrackApiResponse with the packages found, 404 "Tracking number information
 * not found". The shipping adapter puts the shipment's `reference` in ReferenceNumber
 * (carriers/ups/shipping.ts), so a shipment sent without one cannot be looked up.
 */
import { z } from 'zod';

import { parseJson, type LookupAnswer, type LookupSupport } from '../../src/core/shipping-adapter.js';
import type { UpsShippingSettings } from './shipping.js';

const trackResponseSchema = z.object({
  trackResponse: z.object({
    shipment: z.array(
      z.object({ package: z.array(z.object({ trackingNumber: z.string().min(1) })).optional() }),
    ),
  }),
});

function read(status: number, body: string): LookupAnswer {
  if (status === 404) return { kind: 'absent' };
  if (status < 200 || status > 299) return { kind: 'unknown' };
  const parsed = trackResponseSchema.safeParse(parseJson(body));
  if (!parsed.success) return { kind: 'unknown' };
  const numbers = parsed.data.trackResponse.shipment.flatMap((s) =>
    (s.package ?? []).map((p) => p.trackingNumber),
  );
  return numbers.length > 0 ? { kind: 'found', trackingNumbers: numbers } : { kind: 'absent' };
}

export const upsLookup: LookupSupport<UpsShippingSettings> = {
  method: 'reference',
  sources: ['../shared/carrier-specs/ups/Tracking.yaml Reference Tracking API'],
  build: ({ shipment, settings }) => {
    if (shipment?.reference === undefined) return undefined;
    const query = new URLSearchParams({ shipperNum: settings.shipperNumber });
    return {
      method: 'GET',
      path: `api/track/v1/reference/details/${encodeURIComponent(shipment.reference)}?${query.toString()}`,
      headers: {},
    };
  },
  read,
};
