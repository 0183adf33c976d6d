/**
 * @module carriers/dhl-express/shipping
 * DHL Express (MyDHL API) labels for `POST /v1/shipments`: the gateway's shipment becomes one
 * `POST /shipments` (one waybill, one package per parcel) and the CreateShipmentResponse is read
 * back. Written from ../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml [MYDHL].
 * Dutiable shipments (across a border, not between EU member states) carry the shipment's
 * customs declaration as content.exportDeclaration ([MYDHL] content.isCustomsDeclarable); the lane
 * table and the rules that demand it are ./rules.ts.
 */
import { z } from 'zod';

import {
  customsValue,
  type Customs,
  type Parcel,
  type Party,
  type ShipmentRequest,
} from '../../src/core/shipment.js';
import { EU_COUNTRIES, resolveService } from '../../src/core/shipment-rules.js';
import {
  checkShipment,
  parseJson,
  type CarrierAnswer,
  type ShipmentDraft,
  type ShippingAdapter,
  type ShippingCall,
} from '../../src/core/shipping-adapter.js';
import { DHL_EXPRESS_INTERFACE_VERSION } from './api.js';
import { DHL_EXPRESS_RULES } from './rules.js';

/** [MYDHL] `POST /shipments`, relative to the account's base (`.../mydhlapi` or `.../mydhlapi/test`). */
const SHIPMENTS_PATH = 'shipments';
/** [MYDHL] outputImageProperties.encodingFormat enum (pdf, zpl, lp2, epl). */
const ENCODING_FORMATS = { PDF: 'pdf', ZPL: 'zpl' } as const;
/** [MYDHL] messageReferenceHeader: 1–36 characters. */
const MESSAGE_REFERENCE_MAX = 36;
/** "not recommended to populate this field with current time" ([MYDHL] plannedShippingDateAndTime). */
const PLANNED_AHEAD_MS = 60 * 60_000;

export const dhlExpressShippingSettingsSchema = z.strictObject({
  /** [MYDHL] supermodelIoLogisticsExpressAccount.number (1–12 characters) with typeCode `shipper`. */
  shipperAccountNumber: z
    .string()
    .regex(/^[0-9A-Za-z]{1,12}$/, 'the DHL Express shipper account number: 1 to 12 letters or digits'),
  /** [MYDHL] content.description, required, 1–70 characters; the gateway's shipment has no content text. */
  contentDescription: z.string().trim().min(1).max(70).default('Goods'),
});
export type DhlExpressShippingSettings = z.infer<typeof dhlExpressShippingSettingsSchema>;

/**
 * Global product codes, named in [MYDHL]'s reference-data example (datasetName productCode): N
 * EXPRESS DOMESTIC, 1 EXPRESS DOMESTIC 12:00, U EXPRESS WORLDWIDE (content code ECX), T EXPRESS
 * 12:00 (TDT). Between EU states, where nothing is dutiable, U is used instead of P (EXPRESS
 * WORLDWIDE NONDOC, [MYDHL] rates example, dutiable goods); that U and T are right for intra-EU
 * goods is UNVERIFIED (a third-party report of DHL support's answer for U): `/products` or
 * `/rates` tells per account and lane. Some origin countries use local codes (UNVERIFIED).
 */
const services = {
  standard: { domestic: 'N', international: 'U' },
  express: { domestic: '1', international: 'T' },
} satisfies ShippingAdapter['services'];

/**
 * Why MyDHL cannot carry this shipment as given, or undefined: no product for the lane
 * (DHL_EXPRESS_RULES.lanes), or a text beyond [MYDHL] AddressCreateShipmentRequest's limits (lines
 * and city 45 characters, postal code 12). Phones and the export declaration are rules (./rules.ts).
 */
export function dhlExpressUnsupported(shipment: ShipmentRequest): string | undefined {
  const service = resolveService(DHL_EXPRESS_RULES.lanes, shipment);
  if ('refused' in service) return service.refused;
  const { shipper, recipient } = shipment;
  for (const [role, party] of Object.entries({ shipper, recipient })) {
    const tooLong = [
      ...party.street.map((line, index) => [`street[${index}]`, line, 45] as const),
      ['city', party.city, 45] as const,
      ['postalCode', party.postalCode, 12] as const,
    ].find(([, value, max]) => value.length > max);
    if (tooLong) return `${role}.${tooLong[0]} is longer than ${tooLong[2]} characters`;
  }
  return undefined;
}

/** Dutiable: across a border and not between two EU member states. */
const dutiable = ({ shipper, recipient }: ShipmentRequest) =>
  shipper.countryCode !== recipient.countryCode &&
  !(EU_COUNTRIES.has(shipper.countryCode) && EU_COUNTRIES.has(recipient.countryCode));

/** [MYDHL] exportDeclaration.lineItems[].exportReasonType enum. */
const EXPORT_REASON = {
  merchandise: 'commercial_purpose_or_sale',
  gift: 'gift',
  sample: 'sample',
  return: 'return',
  documents: 'permanent',
} as const;

/**
 * [MYDHL] content.exportDeclaration (required: lineItems; each line requires number, description
 * (512), price (per unit), quantity {value, unitOfMeasurement PCS}, manufacturerCountry, weight
 * ("total weight value for line item", net here)); invoice {number, date} when the shipping app
 * gave an invoice number; shipmentType personal for gifts, commercial otherwise.
 */
function exportDeclaration(customs: Customs, today: string) {
  return {
    lineItems: customs.items.map((item, index) => ({
      number: index + 1,
      description: item.description,
      price: item.unitValue,
      quantity: { value: item.quantity, unitOfMeasurement: 'PCS' },
      ...(item.hsCode !== undefined
        ? { commodityCodes: [{ typeCode: 'outbound', value: item.hsCode }] }
        : {}),
      exportReasonType: EXPORT_REASON[customs.contents],
      manufacturerCountry: item.originCountry,
      weight: { netValue: Math.max(0.001, Math.round(item.weightKg * item.quantity * 1000) / 1000) },
    })),
    ...(customs.invoiceNumber !== undefined
      ? { invoice: { number: customs.invoiceNumber, date: today } }
      : {}),
    shipmentType: customs.contents === 'gift' ? 'personal' : 'commercial',
  };
}

/** [MYDHL] content.description (1-70): the goods declared, else the account's default text. */
function contentDescription(shipment: ShipmentRequest, settings: DhlExpressShippingSettings): string {
  const goods = shipment.customs?.items.map((item) => item.description).join(', ');
  return goods !== undefined && goods.length <= 70 ? goods : settings.contentDescription;
}

/**
 * [MYDHL] plannedShippingDateAndTime: "YYYY-MM-DDTHH:MM:SS GMT+01:00" (at most 29 characters), not
 * in the past and at most 10 days ahead. An hour from now, in UTC with its offset written out.
 */
export function plannedShippingDateAndTime(nowMs: number): string {
  return `${new Date(nowMs + PLANNED_AHEAD_MS).toISOString().slice(0, 19)} GMT+00:00`;
}

const optional = (key: string, value: string | undefined, min: number, max: number) =>
  value !== undefined && value.length >= min && value.length <= max ? { [key]: value } : {};

/** [MYDHL] shipperDetails/receiverDetails: postalAddress and contactInformation. */
function partyOf(party: Party) {
  const [line1, line2, line3] = party.street;
  return {
    postalAddress: {
      postalCode: party.postalCode,
      cityName: party.city,
      countryCode: party.countryCode,
      ...optional('provinceCode', party.stateCode, 2, 35),
      addressLine1: line1!,
      ...optional('addressLine2', line2, 1, 45),
      ...optional('addressLine3', line3, 1, 45),
    },
    contactInformation: {
      ...optional('email', party.email, 1, 70),
      phone: party.phone!,
      // companyName is required; without a company the person is named, as [MYDHL]'s own
      // nonDocInternationalShipmentRequest does for its receiver (companyName = fullName).
      companyName: party.company ?? party.name,
      fullName: party.name,
    },
  };
}

/** [MYDHL] supermodelIoLogisticsExpressPackage: weight and dimensions are multiples of 0.001, at least 0.001. */
const thousandths = (value: number) => Math.max(0.001, Math.round(value * 1000) / 1000);
function packageOf(parcel: Parcel) {
  const { lengthCm, widthCm, heightCm } = parcel;
  const dimensions =
    lengthCm && widthCm && heightCm
      ? {
          dimensions: {
            length: thousandths(lengthCm),
            width: thousandths(widthCm),
            height: thousandths(heightCm),
          },
        }
      : {};
  return { weight: thousandths(parcel.weightKg), ...dimensions };
}

function productCode(shipment: ShipmentRequest): string {
  const service = resolveService(DHL_EXPRESS_RULES.lanes, shipment);
  if ('refused' in service) throw new Error(`DHL Express cannot carry this shipment: ${service.refused}`);
  return service.code;
}

/**
 * isCustomsDeclarable, and for dutiable goods the declared value and export declaration. Domestic
 * and intra-EU shipments are not dutiable; documents ("non dutiable") carry no declaration.
 */
function contentCustoms(shipment: ShipmentRequest, nowMs: number) {
  const customs = shipment.customs;
  if (!dutiable(shipment) || customs === undefined || customs.contents === 'documents')
    return { isCustomsDeclarable: false };
  return {
    isCustomsDeclarable: true,
    declaredValue: customsValue(customs),
    declaredValueCurrency: customs.items[0]!.currency,
    exportDeclaration: exportDeclaration(customs, new Date(nowMs).toISOString().slice(0, 10)),
  };
}

/** The CreateShipmentRequest body: pure in (shipment, settings, shipmentId, now). */
export function dhlExpressShipmentRequest(
  shipment: ShipmentRequest,
  settings: DhlExpressShippingSettings,
  shipmentId: string,
  nowMs: number,
) {
  // [MYDHL] supermodelIoLogisticsExpressReference.value: 1–35 characters; typeCode CU "reference number of consignor - default".
  const reference = shipment.reference ?? (shipmentId.length <= 35 ? shipmentId : undefined);
  return {
    plannedShippingDateAndTime: plannedShippingDateAndTime(nowMs),
    pickup: { isRequested: false },
    productCode: productCode(shipment),
    accounts: [{ typeCode: 'shipper', number: settings.shipperAccountNumber }],
    outputImageProperties: {
      encodingFormat: ENCODING_FORMATS[shipment.labelFormat],
      imageOptions: [{ typeCode: 'label' }],
      // The transport label as its own document, not merged with the waybill document ([MYDHL]).
      splitTransportAndWaybillDocLabels: true,
    },
    ...(reference === undefined ? {} : { customerReferences: [{ value: reference, typeCode: 'CU' }] }),
    customerDetails: {
      shipperDetails: partyOf(shipment.shipper),
      receiverDetails: partyOf(shipment.recipient),
    },
    content: {
      packages: shipment.parcels.map(packageOf),
      ...contentCustoms(shipment, nowMs),
      description: contentDescription(shipment, settings),
      // [MYDHL] content.incoterm is required even when nothing is dutiable; DAP is its examples' value.
      incoterm: shipment.customs?.incoterm ?? 'DAP',
      unitOfMeasurement: 'metric',
    },
  };
}

function build({ shipment, settings, shipmentId }: ShipmentDraft<DhlExpressShippingSettings>): ShippingCall {
  const unsupported = dhlExpressUnsupported(shipment);
  if (unsupported !== undefined) throw new Error(`DHL Express cannot carry this shipment: ${unsupported}`);
  const now = Date.now();
  // x-version is required on every operation ([MYDHL] xVersionHeader); Message-Reference (1–36)
  // carries the gateway's shipment id so DHL's records and ours can be matched.
  const reference: Record<string, string> =
    shipmentId.length >= 1 && shipmentId.length <= MESSAGE_REFERENCE_MAX
      ? { 'message-reference': shipmentId, 'message-reference-date': new Date(now).toUTCString() }
      : {};
  return {
    method: 'POST',
    path: SHIPMENTS_PATH,
    headers: { 'content-type': 'application/json', 'x-version': DHL_EXPRESS_INTERFACE_VERSION, ...reference },
    body: JSON.stringify(dhlExpressShipmentRequest(shipment, settings, shipmentId, now)),
  };
}

/** [MYDHL] supermodelIoLogisticsExpressCreateShipmentResponse, as far as the gateway reads it. */
const createShipmentResponse = z.looseObject({
  shipmentTrackingNumber: z.string().min(1),
  packages: z.array(z.looseObject({ trackingNumber: z.string().min(1) })).default([]),
  documents: z
    .array(z.looseObject({ imageFormat: z.string(), content: z.string().min(1), typeCode: z.string() }))
    .default([]),
});

/** 201: the waybill number, then each piece's number, and the `label` documents. */
function readSuccess(_status: number, body: string): CarrierAnswer {
  const parsed = createShipmentResponse.safeParse(parseJson(body));
  if (!parsed.success) return { kind: 'unreadable' };
  const { shipmentTrackingNumber, packages, documents } = parsed.data;
  const labels = documents
    .filter((document) => document.typeCode === 'label')
    .map((document) => ({ format: document.imageFormat, data: document.content }));
  if (labels.length === 0) return { kind: 'unreadable' };
  return {
    kind: 'created',
    trackingNumbers: [shipmentTrackingNumber, ...packages.map((piece) => piece.trackingNumber)],
    labels,
  };
}

const errorResponse = z.looseObject({ detail: z.string().optional(), status: z.string().optional() });

/**
 * [MYDHL] supermodelIoLogisticsExpressErrorResponse has no code field, but its `detail` starts with
 * DHL's numeric error code where there is one ("998: ShipTimeStamp is not well formatted",
 * "7008: ...", "999: Process failure occurred") and its `status` is a string ('998' in the schema
 * example, '400' / '422' elsewhere). That number is the code; the text after it is the message.
 */
function errorCode(_status: number, body: string): string | undefined {
  const parsed = errorResponse.safeParse(parseJson(body));
  if (!parsed.success) return undefined;
  return /^(\d+):/.exec(parsed.data.detail ?? '')?.[1] ?? parsed.data.status;
}

export const dhlExpressShipping: ShippingAdapter<DhlExpressShippingSettings> = {
  sources: [
    '../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml (POST /shipments, CreateShipmentRequest/Response, ErrorResponse)',
  ],
  services,
  settingsSchema: dhlExpressShippingSettingsSchema,
  supports: (shipment) => dhlExpressUnsupported(shipment) === undefined,
  check: (shipment) => {
    const reason = dhlExpressUnsupported(shipment);
    return reason !== undefined
      ? { kind: 'not_supported', reason }
      : checkShipment(DHL_EXPRESS_RULES, shipment);
  },
  build,
  readSuccess,
  errorCode,
};
