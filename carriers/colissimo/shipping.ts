/**
 * @module carriers/colissimo/shipping
 * The Colissimo SLS label API for `POST /v1/shipments`: the gateway's shipment becomes one
 * `POST generateLabel` (GenerateLabelRequestV31) under the account's API base
 * (`.../sls-ws/SlsServiceWSRest/2.0`); the answer is read from the multipart the service's
 * description documents (`jsonInfos` + `label` parts) or from the one JSON object its
 * `responses.200` declares (docs/carriers/unverified.md: the spec says both). Home delivery from
 * France to France and the EU, one parcel per label; anything else is refused by `supports`.
 *
 * Source tags: [COL-SPEC] `../shared/carrier-specs/laposte/colissimo-shipping-openapi.json`;
 * [KAR-COL] karrio `modules/connectors/colissimo/karrio/providers/colissimo/units.py`,
 * `shipment/create.py` and `tests/colissimo/test_shipment.py` (a recorded multipart answer);
 * [COL-CODE] public integrations (a PHP client's recorded 400: plain JSON `messages`, id 30562).
 */
import { z } from 'zod';

import type { Customs, Party, ShipmentRequest } from '../../src/core/shipment.js';
import {
  checkShipment,
  parseJson,
  serviceCode,
  type CarrierAnswer,
  type CarrierErrorCode,
  type ShipmentDraft,
  type ShippingAdapter,
  type ShippingCall,
} from '../../src/core/shipping-adapter.js';
import { COLISSIMO_RULES } from './rules.js';

/** [COL-SPEC] `/generateLabel`, relative to the account's API base. */
export const COLISSIMO_LABEL_PATH = 'generateLabel';

/**
 * Product codes ([COL-SPEC] Service.productCode names DOM and DOS, Colissimo Domicile without and
 * with signature; [KAR-COL] ShippingService maps international home delivery to the same codes).
 * Colissimo sells no faster home product in this API (Colissimo Flash, karrio's COLR and J+1, is
 * not in the spec: UNVERIFIED) and DOS only adds a signature, so `express` is not offered: ''.
 */
export const COLISSIMO_SERVICES = {
  standard: { domestic: 'DOM', international: 'DOM' },
  express: { domestic: '', international: '' },
};

/** The account's `shipping:` block; `{}` takes every default. No secret belongs here. */
export const colissimoShippingSettingsSchema = z.strictObject({
  /** The printer's resolution for ZPL labels: ZPL_10x15_203dpi or ZPL_10x15_300dpi ([KAR-COL] LabelType). */
  zplDpi: z.union([z.literal(203), z.literal(300)]).default(203),
  /**
   * Service.commercialName, "displayed in e-mail notifications sent to the parcel addressees"
   * ([COL-SPEC]); the shipper's company when absent.
   */
  commercialName: z.string().trim().min(1).max(35).optional(),
});
export type ColissimoShippingSettings = z.infer<typeof colissimoShippingSettingsSchema>;

/** Senders in France (and Monaco, in the French postal network): the SLS contract is French. */
const ORIGINS = new Set(['FR', 'MC']);
/**
 * Destinations needing no customs declaration: France, Monaco and the other EU member states.
 * Elsewhere the shipment's customs block becomes the CN23 ([COL-SPEC] CustomsDeclarations), which
 * COLISSIMO_RULES (./rules.ts) requires before any call. French overseas departments have their
 * own ISO codes and need `ftd` as well ([COL-SPEC] Parcel.ftd), which is not mapped: refused.
 */
const DESTINATIONS = new Set(
  'FR MC AT BE BG HR CY CZ DK EE FI DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' '),
);
const OVERSEAS = new Set('GP MQ GF RE YT PM BL MF WF PF NC TF'.split(' '));
/** "Minimum: 0.01kg, Maximum: 30.00 kg ... Only 2 decimals" ([COL-SPEC] ParcelRequestV31.weight). */
const MAX_KG = 30;

const upToHundredth = (value: number) => Math.ceil(Number((value * 100).toFixed(6))) / 100;
const clip = (value: string, max: number) => (value.length <= max ? value : value.slice(0, max).trimEnd());

/** Why Colissimo cannot carry this shipment, or undefined when it can. */
export function colissimoUnsupportedReason(shipment: ShipmentRequest): string | undefined {
  if (serviceCode({ services: COLISSIMO_SERVICES }, shipment) === '')
    return `Colissimo offers no ${shipment.service} service here`;
  if (!ORIGINS.has(shipment.shipper.countryCode)) return 'Colissimo ships from France';
  if (OVERSEAS.has(shipment.recipient.countryCode))
    return 'Colissimo to the French overseas territories needs the ftd flag, which is not mapped';
  // LetterRequestV31 has one parcel ([COL-SPEC]).
  if (shipment.parcels.length !== 1) return 'Colissimo makes one label per request: one parcel per shipment';
  if (shipment.parcels[0]!.weightKg > MAX_KG) return 'Colissimo parcels weigh 30 kg or less';
  return undefined;
}

/**
 * CN23 Category.value per contents: 1 gift, 2 commercial sample, 3 commercial shipment, 4
 * documents, 6 returned goods (Colissimo's web-service guide; not in [COL-SPEC]: UNVERIFIED).
 */
const CN23_CATEGORY = { gift: 1, sample: 2, merchandise: 3, documents: 4, return: 6 } as const;

/**
 * [COL-SPEC] CustomsDeclarations: includeCustomsDeclarations (the CN23 PDF in the answer),
 * contents.article (required: description AN1…64, quantity, weight "Unitary net weight ... in
 * kg", value "Unitary value of articles in EUROS"; hsCode N6/N8/N10, originCountry, currency) and
 * contents.category, invoiceNumber (AN1…35).
 */
function customsDeclarations(customs: Customs) {
  return {
    includeCustomsDeclarations: true,
    contents: {
      article: customs.items.map((item) => ({
        description: item.description,
        quantity: item.quantity,
        weight: Math.max(0.01, upToHundredth(item.weightKg)),
        value: item.unitValue,
        ...(item.hsCode !== undefined ? { hsCode: item.hsCode } : {}),
        originCountry: item.originCountry,
        currency: item.currency,
      })),
      category: { value: CN23_CATEGORY[customs.contents] },
    },
    ...(customs.invoiceNumber !== undefined ? { invoiceNumber: customs.invoiceNumber } : {}),
  };
}

/**
 * [COL-SPEC] Address: lastName A1...35 ("mandatory ... unless zipcode is a cedex code") holds the
 * whole name, as karrio sends it; companyName AN35; line2 "number and route label" (required in
 * practice: "must contain at least one character"), line3 "place said or other mention", line1
 * "entrance, building"; city AN1...35; phoneNumber AN10...12; email AN5...80.
 */
function address(party: Party) {
  const phone = party.phone?.replace(/[\s().-]/g, '');
  return {
    companyName: party.company === undefined ? undefined : clip(party.company, 35),
    lastName: clip(party.name, 35),
    line1: party.street[2] === undefined ? undefined : clip(party.street[2], 35),
    line2: clip(party.street[0] ?? '', 35),
    line3: party.street[1] === undefined ? undefined : clip(party.street[1], 35),
    countryCode: party.countryCode,
    city: clip(party.city, 35),
    zipCode: party.postalCode,
    phoneNumber: phone !== undefined && /^(?=.{10,12}$)\+?\d+$/.test(phone) ? phone : undefined,
    email: party.email !== undefined && party.email.length <= 80 ? party.email : undefined,
  };
}

const PARIS_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * Service.depositDate, "Scheduled deposit date": today's date in France, as a plain date. The
 * schema says `format: date-time`, but its own description's example is "2022-06-25" ([COL-SPEC]
 * l.1062) and karrio's request fixture sends `"depositDate": "2020-07-02"` ([KAR-COL]); a UTC
 * instant would be yesterday's date in Paris between midnight and 01:00 (02:00 in summer).
 */
export function colissimoDepositDate(at: Date): string {
  return PARIS_DATE.format(at);
}

/**
 * The GenerateLabelRequestV31 body ([COL-SPEC]); a pure function of the draft and the deposit
 * time. No contractNumber or password: both are "Deprecated. Use apikey instead", and the apiKey
 * header is the account's static credential, added by the gateway.
 */
export function colissimoLabelRequest(draft: ShipmentDraft<ColissimoShippingSettings>, depositAt: Date) {
  const { shipment, settings } = draft;
  const commercialName = settings.commercialName ?? shipment.shipper.company;
  return {
    outputFormat: {
      // x, y: print offsets in points, "by default, enter 0" ([COL-SPEC] OutputFormat).
      x: 0,
      y: 0,
      // 10x15 cm labels; the plain (non-_UL) names are karrio's LabelType ([KAR-COL]).
      outputPrintingType:
        shipment.labelFormat === 'ZPL' ? `ZPL_10x15_${settings.zplDpi}dpi` : 'PDF_10x15_300dpi',
    },
    letter: {
      service: {
        productCode: serviceCode({ services: COLISSIMO_SERVICES }, shipment),
        depositDate: colissimoDepositDate(depositAt),
        // orderNumber AN1…30: "returned in tracking information" ([COL-SPEC]); the id whole or not at all.
        ...(draft.shipmentId.length <= 30 ? { orderNumber: draft.shipmentId } : {}),
        ...(commercialName === undefined ? {} : { commercialName: clip(commercialName, 35) }),
      },
      parcel: { weight: Math.max(0.01, upToHundredth(shipment.parcels[0]!.weightKg)) },
      ...(shipment.customs !== undefined && !DESTINATIONS.has(shipment.recipient.countryCode)
        ? { customsDeclarations: customsDeclarations(shipment.customs) }
        : {}),
      sender: {
        // senderParcelRef AN1...17, printed on the label only ([COL-SPEC] Sender).
        ...(shipment.reference === undefined ? {} : { senderParcelRef: clip(shipment.reference, 17) }),
        address: address(shipment.shipper),
      },
      addressee: { address: address(shipment.recipient) },
    },
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The parts of a multipart answer, by Content-ID (`jsonInfos`, `label`, `cn23`): the real
 * generateLabel answers `multipart/mixed` ([COL-SPEC] generateLabel "MultipartBody"; [KAR-COL]
 * recording). The boundary is the body's first line, as the headers are not passed to adapters.
 */
function multipartParts(body: string): Map<string, string> {
  const parts = new Map<string, string>();
  const boundary = /^--([^\r\n]+)\r?\n/.exec(body)?.[1];
  if (boundary === undefined) return parts;
  for (const raw of body.split(`--${boundary}`).slice(1)) {
    if (raw.startsWith('--')) break;
    const split = /\r?\n\r?\n/.exec(raw);
    if (split === null) continue;
    const head = raw.slice(0, split.index);
    const id =
      /content-id:\s*<([^>]+)>/i.exec(head)?.[1] ?? (parts.size === 0 ? 'jsonInfos' : `part${parts.size}`);
    parts.set(id, raw.slice(split.index + split[0].length).replace(/\r?\n$/, ''));
  }
  return parts;
}

/** The JSON answer (GenerateLabelV2Response), whether sent alone or as the `jsonInfos` part. */
function jsonAnswer(body: string): { answer: Json; parts: Map<string, string> } | undefined {
  const direct = parseJson(body);
  if (isObject(direct)) return { answer: direct, parts: new Map() };
  const parts = multipartParts(body);
  const info = parseJson(parts.get('jsonInfos') ?? '');
  return isObject(info) ? { answer: info, parts } : undefined;
}

/** What a label's bytes are: `%PDF-` or a ZPL `^XA` format start. */
function labelFormatOf(bytes: Buffer): 'PDF' | 'ZPL' | undefined {
  const head = bytes.subarray(0, 200).toString('latin1');
  if (head.startsWith('%PDF-')) return 'PDF';
  return /^\s*(\^FX[^\n]*\s*)*\^XA/.test(head) ? 'ZPL' : undefined;
}

/**
 * The label bytes: base64 in `labelV2Response.label` (a JSON-only answer, as [COL-SPEC]
 * `responses.200` declares it), or the raw `label` part of the multipart answer. That
 * part is binary: only a body decoded byte for byte (latin1) keeps it, so a character above
 * U+00FF (a UTF-8 decoding replaced a byte) makes the label unreadable rather than corrupt.
 */
function labelBytes(label: unknown, parts: Map<string, string>): Buffer | undefined {
  if (typeof label === 'string') {
    const base64 = label.replace(/\s+/g, '');
    return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : undefined;
  }
  const raw = parts.get('label');
  if (raw === undefined || [...raw].some((char) => char.charCodeAt(0) > 0xff)) return undefined;
  return Buffer.from(raw, 'latin1');
}

/** [COL-SPEC] MessageRest {id, type, messageContent}: type ERROR or INFOS. */
const messagesOf = (answer: Json | undefined): Json[] =>
  Array.isArray(answer?.['messages']) ? (answer['messages'] as unknown[]).filter(isObject) : [];

/** The first ERROR message's id, else the first message's. */
function messageId(answer: Json | undefined): string | undefined {
  const messages = messagesOf(answer);
  const chosen = messages.find((message) => message['type'] === 'ERROR') ?? messages[0];
  return typeof chosen?.['id'] === 'string' ? chosen['id'] : undefined;
}

function readLabel(_status: number, body: string): CarrierAnswer {
  const read = jsonAnswer(body);
  if (read === undefined) return { kind: 'unreadable' };
  const result = read.answer['labelV2Response'];
  if (!isObject(result)) {
    // A success status with an ERROR message and no label: nothing was made ([KAR-COL] error recording).
    if (!messagesOf(read.answer).some((message) => message['type'] === 'ERROR'))
      return { kind: 'unreadable' };
    const carrierCode = messageId(read.answer);
    return carrierCode === undefined ? { kind: 'rejected' } : { kind: 'rejected', carrierCode };
  }
  const parcelNumber = result['parcelNumber'];
  const bytes = labelBytes(result['label'], read.parts);
  const format = bytes && labelFormatOf(bytes);
  if (typeof parcelNumber !== 'string' || parcelNumber === '' || !bytes || !format)
    return { kind: 'unreadable' };
  return {
    kind: 'created',
    trackingNumbers: [parcelNumber],
    labels: [{ format, data: bytes.toString('base64') }],
  };
}

/** 400 bodies come as plain JSON or multipart ([COL-CODE]; [KAR-COL]); 403 may have none ([COL-SPEC]). */
const errorCodeOf = (_status: number, body: string): CarrierErrorCode => messageId(jsonAnswer(body)?.answer);

export const colissimoShipping: ShippingAdapter<ColissimoShippingSettings> = {
  // The real answer is multipart with a binary label part: every byte must survive (see labelBytes).
  answerEncoding: 'latin1',
  sources: [
    '../shared/carrier-specs/laposte/colissimo-shipping-openapi.json (generateLabel, GenerateLabelRequestV31, GenerateLabelV2Response)',
    'karrio modules/connectors/colissimo (units.py, shipment/create.py, tests/colissimo/test_shipment.py)',
  ],
  services: COLISSIMO_SERVICES,
  settingsSchema: colissimoShippingSettingsSchema,
  // No idempotency header is documented for generateLabel ([COL-SPEC]): a retry makes a second label.
  supports: (shipment) => colissimoUnsupportedReason(shipment) === undefined,
  check: (shipment) => {
    const reason = colissimoUnsupportedReason(shipment);
    return reason !== undefined
      ? { kind: 'not_supported', reason }
      : checkShipment(COLISSIMO_RULES, shipment);
  },
  build(draft): ShippingCall {
    const reason = colissimoUnsupportedReason(draft.shipment);
    if (reason !== undefined) throw new Error(`colissimo shipping: ${reason}; check supports() first`);
    return {
      method: 'POST',
      path: COLISSIMO_LABEL_PATH,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(colissimoLabelRequest(draft, new Date())),
    };
  },
  readSuccess: readLabel,
  errorCode: errorCodeOf,
};
