/**
 * @module carriers/ups/lookup
 * Finding a UPS shipment whose label answer was lost, by the reference its label request carried,
 * and fetching its label images.
 *
 * Finding: carrier-specs/ups/Tracking.yaml, operation "Reference Tracking API"
 * (`GET /track/v1/reference/details/{referenceNumber}`, with `shipperNum` to keep to the account's
 * own shipments): 200 TrackApiResponse with the packages found, 404 "Tracking number information
 * not found". The shipping adapter puts the shipment's `reference` in ReferenceNumber
 * (carriers/ups/shipping.ts), so a shipment sent without one cannot be looked up.
 *
 * The images: carrier-specs/ups/Shipping.yaml, operation LabelRecovery
 * (`POST /labels/{version}/recovery`, body LABELRECOVERYRequestWrapper, answer
 * LABELRECOVERYResponseWrapper), by the package's TrackingNumber ("If only TrackingNumber is
 * provided, the request will be treated as Small Package Shipment. Label Recovery will return
 * label for Small Package Tracking Number"), shaped as the spec's own "Standard Example".
 */
import { z } from 'zod';

import {
  parseJson,
  type LabelRecoverySupport,
  type LookupAnswer,
  type LookupSupport,
  type RecoveredLabel,
} from '../../src/core/shipping-adapter.js';
import { LABEL_IMAGE_FORMAT, type UpsShippingSettings } from './shipping.js';

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

/**
 * LabelRecovery's path parameter `version`: "v1 original features of the application. No support
 * for CODTurn-inPage, HighValueReport or InternationalForms": the label image is all it is for.
 */
const UPS_LABEL_RECOVERY_PATH = 'api/labels/v1/recovery';

/**
 * The LabelRecoveryRequest for one package. Three things of the spec's schema are left as its own
 * "Standard Example" leaves them, because the schema contradicts its descriptions
 * (test/carriers/ups/lookup.contract.test.ts holds that the example gets the same complaints):
 * - `TrackingNumbers` and `ReferenceValues` are marked required, yet TrackingNumbers is the list
 *   of "Roadie (1R) tracking numbers" and ReferenceValues "is mandatory for only Roadie
 *   shipments"; a 1Z package goes by `TrackingNumber` (maxLength 18);
 * - LabelImageFormat.Code has minLength 4, yet its valid values are GIF, PDF, ZPL, EPL, SPL.
 * The image format is the one the label was made in (LABEL_IMAGE_FORMAT of shipping.ts), with
 * HTTPUserAgent "Required if ... LabelImageFormat/Code = Gif" and the 4 x 6 stock size "Applicable
 * if Label Image Code is ZPL, EPL and SPL". Request.SubVersion "1903" as in the example;
 * TransactionReference.CustomerContext (5 to 512 characters) carries the gateway's shipment id.
 */
export function upsLabelRecoveryBody(trackingNumber: string, format: 'PDF' | 'ZPL', shipmentId: string) {
  const code = LABEL_IMAGE_FORMAT[format];
  return {
    LabelRecoveryRequest: {
      Request: { SubVersion: '1903', TransactionReference: { CustomerContext: shipmentId } },
      LabelSpecification: {
        LabelImageFormat: { Code: code },
        ...(code === 'GIF'
          ? { HTTPUserAgent: 'Mozilla/4.5' }
          : { LabelStockSize: { Height: '6', Width: '4' } }),
      },
      TrackingNumber: trackingNumber,
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * LabelRecoveryResponse_LabelResults: TrackingNumber and LabelImage {LabelImageFormat.Code,
 * GraphicImage "Base 64 encoded graphic image"}. LabelResults is an array in the spec; a single
 * object (as older UPS answers send one package) is read as well.
 */
const labelResultSchema = z.object({
  TrackingNumber: z.string().min(1).optional(),
  LabelImage: z.object({
    LabelImageFormat: z.object({ Code: z.string().min(1) }),
    GraphicImage: z.string().regex(BASE64),
  }),
});
const labelRecoveryResponseSchema = z.object({
  LabelRecoveryResponse: z.object({
    LabelResults: z.union([labelResultSchema, z.array(labelResultSchema).min(1)]),
  }),
});

function readRecovery(_status: number, body: string): RecoveredLabel[] | undefined {
  const parsed = labelRecoveryResponseSchema.safeParse(parseJson(body));
  if (!parsed.success) return undefined;
  return [parsed.data.LabelRecoveryResponse.LabelResults].flat().map((result) => ({
    ...(result.TrackingNumber !== undefined ? { trackingNumber: result.TrackingNumber } : {}),
    label: { format: result.LabelImage.LabelImageFormat.Code, data: result.LabelImage.GraphicImage },
  }));
}

export const upsLabelRecovery: LabelRecoverySupport<UpsShippingSettings> = {
  sources: ['../shared/carrier-specs/ups/Shipping.yaml LabelRecovery'],
  build: (target, trackingNumber) => ({
    method: 'POST',
    path: UPS_LABEL_RECOVERY_PATH,
    // transId and transactionSrc come from decorateUpsRequest (carriers/ups/api.ts).
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      upsLabelRecoveryBody(trackingNumber, target.shipment?.labelFormat ?? 'PDF', target.shipmentId),
    ),
  }),
  read: readRecovery,
};

export const upsLookup: LookupSupport<UpsShippingSettings> = {
  method: 'reference',
  sources: [
    '../shared/carrier-specs/ups/Tracking.yaml Reference Tracking API',
    '../shared/carrier-specs/ups/Shipping.yaml LabelRecovery',
  ],
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
  recover: upsLabelRecovery,
};
