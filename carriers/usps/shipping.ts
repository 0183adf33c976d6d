/**
 * @module carriers/usps/shipping
 * The USPS Domestic Labels v3 label API for `POST /v1/shipments`: the gateway's shipment becomes
 * one `POST labels/v3/label` (LabelRequest), read back from the one-object JSON answer. Domestic
 * only, one parcel per label: anything else is refused by `supports` before a request is built.
 *
 * Source tags: [USPS-LABELS] `../shared/carrier-specs/usps/domestic-labels.yaml` (Labels 3.9.13);
 * [KAR-USPS] karrio `modules/connectors/usps/karrio/providers/usps/shipment/create.py` and `error.py`;
 * [USPS-I18] and [USPS-I36] USPS/api-examples issues 18 and 36 (observed error bodies); [USPS-OAUTH]
 * the USPS OAuth 2.0 spec as summarised in `../shared/carrier-auth-facts.md` §5.
 */
import { z } from 'zod';

import type { Party, ShipmentRequest } from '../../src/core/shipment.js';
import {
  parseJson,
  serviceCode,
  type CarrierAnswer,
  type CarrierErrorCode,
  type ShipmentDraft,
  type ShippingAdapter,
  type ShippingCall,
} from '../../src/core/shipping-adapter.js';

/** [USPS-LABELS] servers `.../labels/v3` + `/label`, relative to the account's API base. */
export const USPS_LABEL_PATH = 'labels/v3/label';

/**
 * [USPS-LABELS] BaseDomesticPackageDescription.mailClass. Domestic Labels carries US addresses
 * only (DomesticAddress "Address fields for US locations"); international labels are another
 * API (international-labels), not wired here, so the international codes are empty.
 */
export const USPS_SERVICES = {
  standard: { domestic: 'USPS_GROUND_ADVANTAGE', international: '' },
  express: { domestic: 'PRIORITY_MAIL_EXPRESS', international: '' },
};

/** [USPS-LABELS] rateIndicator: "SP - Single Piece", "PA - Priority Mail Express Single Piece". */
const RATE_INDICATORS: Record<string, string> = {
  USPS_GROUND_ADVANTAGE: 'SP',
  PRIORITY_MAIL_EXPRESS: 'PA',
};

/** The account's `shipping:` block; `{}` takes every default. */
export const uspsShippingSettingsSchema = z.strictObject({
  /** The printer's resolution for ZPL labels: imageType ZPL203DPI or ZPL300DPI ([USPS-LABELS] ImageInfo). */
  zplDpi: z.union([z.literal(203), z.literal(300)]).default(203),
  /**
   * [USPS-LABELS] processingCategory (IRREGULAR and NON_MACHINABLE are deprecated aliases of
   * NONSTANDARD; LETTERS and FLATS are not parcels). NONSTANDARD is the spec example's value and
   * what karrio's default converts to ([KAR-USPS] "NON_MACHINABLE").
   */
  processingCategory: z.enum(['MACHINABLE', 'NONSTANDARD']).default('NONSTANDARD'),
});
export type UspsShippingSettings = z.infer<typeof uspsShippingSettingsSchema>;

/** [USPS-LABELS] State pattern: states, DC, territories and military codes. */
const STATES = new Set(
  (
    'AA AE AL AK AP AS AZ AR CA CO CT DE DC FM FL GA GU HI ID IL IN IA KS KY LA ME MH MD MA MI MN MS MO MP ' +
    'MT NE NV NH NJ NM NY NC ND OH OK OR PW PA PR RI SC SD TN TX UT VT VI VA WA WV WI WY'
  ).split(' '),
);
/** ZIP Code, optionally with its ZIP+4 ([USPS-LABELS] ZIPCode `^\d{5}$`, ZIPPlus4 `^\d{4}$`). */
const ZIP = /^(\d{5})(?:-?(\d{4}))?$/;
/** [USPS-LABELS] Phone and Email patterns; values that do not match are left out, not sent. */
const PHONE = /^\+?[1-9][0-9]{7,14}$|^[0-9]{6,15}$/;
const EMAIL = /^[a-zA-Z0-9_+&*-]+(?:\.[a-zA-Z0-9_+&*-]+)*@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$/;
/** "Items must weigh 70 pounds (1120 ounces) or less" ([USPS-LABELS] PackageDescription.weight). */
const MAX_POUNDS = 70;
const POUNDS_PER_KG = 2.20462262185;
const CM_PER_INCH = 2.54;

/** Rounded up to the hundredth, so a declared weight or size is never below the real one. */
const upToHundredth = (value: number) => Math.ceil(Number((value * 100).toFixed(6))) / 100;
const clip = (value: string, max: number) => (value.length <= max ? value : value.slice(0, max).trimEnd());

/** Why USPS cannot carry this shipment, or undefined when it can. */
export function uspsUnsupportedReason(shipment: ShipmentRequest): string | undefined {
  if (serviceCode({ services: USPS_SERVICES }, shipment) === '' || shipment.shipper.countryCode !== 'US')
    return 'USPS Domestic Labels carries shipments within the United States only';
  // LabelRequest has one packageDescription: one label per request ([USPS-LABELS]).
  if (shipment.parcels.length !== 1) return 'USPS makes one label per request: one parcel per shipment';
  const [parcel] = shipment.parcels;
  // length, height and width are required ([USPS-LABELS] BaseDomesticPackageDescription.required).
  if (parcel?.lengthCm === undefined || parcel.widthCm === undefined || parcel.heightCm === undefined)
    return 'USPS labels need the parcel length, width and height';
  if (parcel.weightKg * POUNDS_PER_KG > MAX_POUNDS) return 'USPS parcels weigh 70 lb (31.75 kg) or less';
  for (const party of [shipment.shipper, shipment.recipient]) {
    // DomesticLabelAddress requires state and a 5-digit ZIPCode ([USPS-LABELS]).
    if (!STATES.has(party.stateCode?.toUpperCase() ?? '') || !ZIP.test(party.postalCode))
      return 'USPS addresses need a US state code and a ZIP Code';
  }
  return undefined;
}

/** "The First and Last Name or Firm Name are always required" ([USPS-LABELS] DomesticLabelAddress). */
function names(name: string): { firstName?: string; lastName: string } {
  const cut = name.lastIndexOf(' ');
  if (cut < 0) return { lastName: clip(name, 50) };
  return { firstName: clip(name.slice(0, cut).trim(), 50), lastName: clip(name.slice(cut + 1), 50) };
}

/** [USPS-LABELS] DomesticLabelAddress: maxLength 50 (names, firm, street lines) and 28 (city). */
function address(party: Party) {
  const [, zip, plus4] = ZIP.exec(party.postalCode) ?? [];
  const phone = party.phone?.replace(/[\s().-]/g, '');
  return {
    ...names(party.name),
    firm: party.company === undefined ? undefined : clip(party.company, 50),
    streetAddress: clip(party.street[0] ?? '', 50),
    secondaryAddress: party.street.length > 1 ? clip(party.street.slice(1).join(' '), 50) : undefined,
    city: clip(party.city, 28),
    state: party.stateCode?.toUpperCase(),
    ZIPCode: zip,
    ZIPPlus4: plus4,
    phone: phone !== undefined && PHONE.test(phone) ? phone : undefined,
    email:
      party.email !== undefined && party.email.length <= 50 && EMAIL.test(party.email)
        ? party.email
        : undefined,
  };
}

/**
 * The LabelRequest body ([USPS-LABELS]); a pure function of the draft and the mailing date
 * (YYYY-MM-DD, "today plus 0 to 7 days", [USPS-LABELS] MailingDate). Undefined fields are left
 * out by JSON.stringify.
 */
export function uspsLabelRequest(draft: ShipmentDraft<UspsShippingSettings>, mailingDate: string) {
  const { shipment, settings } = draft;
  const parcel = shipment.parcels[0]!;
  const mailClass = serviceCode({ services: USPS_SERVICES }, shipment);
  const inches = (cm: number | undefined) => upToHundredth((cm ?? 0) / CM_PER_INCH);
  const references = [
    // referenceNumber maxLength 30; printed on the label when asked ([USPS-LABELS] CustomerReference).
    ...(shipment.reference === undefined
      ? []
      : [{ referenceNumber: clip(shipment.reference, 30), printReferenceNumber: true }]),
    // The gateway id goes in whole or not at all: a clipped id finds nothing.
    ...(draft.shipmentId.length <= 30 ? [{ referenceNumber: draft.shipmentId }] : []),
  ];
  return {
    imageInfo: {
      imageType: shipment.labelFormat === 'ZPL' ? `ZPL${settings.zplDpi}DPI` : 'PDF',
      labelType: '4X6LABEL',
      // The label only: SAME_PAGE (the default) is "not supported" with ZPL ([USPS-LABELS] receiptOption).
      receiptOption: 'NONE',
    },
    toAddress: address(shipment.recipient),
    fromAddress: address(shipment.shipper),
    packageDescription: {
      mailClass,
      rateIndicator: RATE_INDICATORS[mailClass],
      weightUOM: 'lb',
      weight: Math.max(0.01, upToHundredth(parcel.weightKg * POUNDS_PER_KG)),
      dimensionsUOM: 'in',
      length: inches(parcel.lengthCm),
      height: inches(parcel.heightCm),
      width: inches(parcel.widthCm),
      processingCategory: settings.processingCategory,
      // NONE: the parcel enters at the origin, no destination entry facility ([USPS-LABELS]).
      destinationEntryFacilityType: 'NONE',
      mailingDate,
      ...(references.length > 0 ? { customerReference: references } : {}),
    },
  };
}

/** The one-object answer of `Accept: application/vnd.usps.labels+json` ([USPS-LABELS] LabelVendorResponse). */
const vendorResponseSchema = z.looseObject({
  trackingNumber: z.string().min(1),
  labelImage: z.string().min(1),
});

/** What a base64 label holds, from its first bytes: `%PDF-` or a ZPL `^XA` format start. */
function labelFormatOf(base64: string): 'PDF' | 'ZPL' | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const head = Buffer.from(base64.slice(0, 200), 'base64').toString('latin1');
  if (head.startsWith('%PDF-')) return 'PDF';
  return /^\s*(\^FX[^\n]*\s*)*\^XA/.test(head) ? 'ZPL' : undefined;
}

function readLabel(_status: number, body: string): CarrierAnswer {
  const parsed = vendorResponseSchema.safeParse(parseJson(body));
  if (!parsed.success) return { kind: 'unreadable' };
  const data = parsed.data.labelImage.replace(/\s+/g, '');
  const format = labelFormatOf(data);
  if (format === undefined) return { kind: 'unreadable' };
  return { kind: 'created', trackingNumbers: [parsed.data.trackingNumber], labels: [{ format, data }] };
}

/**
 * The most specific code in a USPS error body: `error.errors[].code`, then `error.code`
 * ([USPS-LABELS] ErrorMessage; `errors` may be empty, [USPS-I36]); an RFC 6749 `error` string
 * (the OAuth gateway's 429, [USPS-OAUTH] spikeArrestViolationResponse); the API gateway's OpenAPI
 * validation fault `fault.detail.errorcode` ([USPS-I18] "steps.oasvalidation.Failed").
 */
function errorCodeOf(_status: number, body: string): CarrierErrorCode {
  const parsed = parseJson(body) as
    { error?: unknown; fault?: { detail?: { errorcode?: unknown } } } | null | undefined;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { error } = parsed;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const { code, errors } = error as { code?: unknown; errors?: unknown };
    const item = Array.isArray(errors)
      ? (errors as { code?: unknown }[]).find((entry) => typeof entry?.code === 'string')
      : undefined;
    if (typeof item?.code === 'string') return item.code;
    if (typeof code === 'string') return code;
  }
  const fault = parsed.fault?.detail?.errorcode;
  return typeof fault === 'string' ? fault : undefined;
}

/** Places whose clocks run ahead of UTC (Palau +9, Guam and the Marianas +10, Micronesia +10/+11, Marshall Islands +12). */
const AHEAD_OF_UTC = new Set(['PW', 'GU', 'MP', 'FM', 'MH']);

/**
 * Today's date where the parcel is mailed, or a day later: the date in UTC everywhere behind UTC,
 * in UTC+12 where the clocks run ahead, so it is never before the local date the mailing date is
 * judged by ("local time will be based on ... fromAddress.ZIPCode", [USPS-LABELS] mailingDate).
 */
export function uspsMailingDate(shipperState: string | undefined, nowMs: number): string {
  const aheadMs = AHEAD_OF_UTC.has(shipperState?.toUpperCase() ?? '') ? 12 * 3600_000 : 0;
  return new Date(nowMs + aheadMs).toISOString().slice(0, 10);
}

/**
 * The label call for a shipment, without `uspsUnsupportedReason`: what a gateway without the lane
 * checks would send (the rule corpus, test/carriers/usps/rules-corpus.test.ts, sends it to the
 * simulator). `build` is this behind the check.
 */
export function uspsLabelCall(draft: ShipmentDraft<UspsShippingSettings>): ShippingCall {
  return {
    method: 'POST',
    path: USPS_LABEL_PATH,
    headers: {
      'Content-Type': 'application/json',
      // One JSON object with the base64 image instead of the default multipart answer ([USPS-LABELS] post-label 200).
      Accept: 'application/vnd.usps.labels+json',
      'X-Idempotency-Key': draft.carrierIdempotencyKey,
      // X-Payment-Authorization-Token is added by the gateway's dependent-token engine (carriers/usps/auth.ts).
    },
    body: JSON.stringify(
      uspsLabelRequest(draft, uspsMailingDate(draft.shipment.shipper.stateCode, Date.now())),
    ),
  };
}

export const uspsShipping: ShippingAdapter<UspsShippingSettings> = {
  sources: [
    '../shared/carrier-specs/usps/domestic-labels.yaml (post-label, LabelRequest, LabelVendorResponse, ErrorMessage)',
    'karrio modules/connectors/usps/karrio/providers/usps/shipment/create.py',
  ],
  services: USPS_SERVICES,
  settingsSchema: uspsShippingSettingsSchema,
  // [USPS-LABELS] X-Idempotency-Key (uuid): the same key and payload "return the existing label
  // without creating a duplicate or charging additional postage".
  idempotencyHeader: 'X-Idempotency-Key',
  supports: (shipment) => uspsUnsupportedReason(shipment) === undefined,
  build(draft): ShippingCall {
    const reason = uspsUnsupportedReason(draft.shipment);
    if (reason !== undefined) throw new Error(`usps shipping: ${reason}; check supports() first`);
    return uspsLabelCall(draft);
  },
  readSuccess: readLabel,
  errorCode: errorCodeOf,
};
