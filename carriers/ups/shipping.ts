/**
 * @module carriers/ups/shipping
 * The UPS Shipping API as a label adapter: the gateway's shipment becomes a `ShipmentRequest`
 * for `POST /api/shipments/v2409/ship`, and the `ShipmentResponse` becomes tracking numbers and
 * labels. Every field cites ../shared/carrier-specs/ups/Shipping.yaml (`components.schemas.<name>`)
 * unless another source is named.
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
  type ShippingAdapter,
} from '../../src/core/shipping-adapter.js';
import { UPS_RULES } from './rules.js';

/** `/shipments/{version}/ship`: `version` "Valid values: v2409"; the servers carry the `/api` prefix. */
export const UPS_SHIP_PATH = 'api/shipments/v2409/ship';

export const upsShippingSettingsSchema = z.strictObject({
  /**
   * Shipment_Shipper.ShipperNumber: "Shipper's six digit alphanumeric account number" (min and max
   * length 6); ShipmentCharge_BillShipper.AccountNumber "Must be the same UPS account number".
   */
  shipperNumber: z
    .string()
    .regex(/^[0-9A-Z]{6}$/, 'the 6-character UPS account (shipper) number in capitals, e.g. "A1B2C3"'),
});
export type UpsShippingSettings = z.infer<typeof upsShippingSettingsSchema>;

/**
 * US and PR: where UPS's domestic products and imperial units apply (see SERVICES and
 * Dimensions_UnitOfMeasurement below). The list is observed in third-party UPS connectors, not
 * stated by UPS for both uses: UNVERIFIED beyond the US itself.
 */
const US_MARKETS = new Set(['US', 'PR']);

/**
 * The codes per level as the adapter contract lists them; which lane books which is
 * UPS_RULES.lanes in ./rules.ts (with the sources), e.g. US to DE standard is 08, not 11.
 */
const SERVICES = {
  standard: { domestic: '03', international: '11' },
  express: { domestic: '01', international: '07' },
} as const;

/**
 * LabelSpecification_LabelImageFormat.Code: "For shipments without return service the valid value
 * is GIF, ZPL, EPL and SPL". UPS has no PDF label, so a PDF request gets the GIF image and the
 * answer says `GIF` (ShippingLabel_ImageFormat.Code), for the shipping app to place on a page.
 */
export const LABEL_IMAGE_FORMAT = { PDF: 'GIF', ZPL: 'ZPL' } as const;

/**
 * Dimensions_UnitOfMeasurement.Code: "The unit of measurement must be valid for the Shipper
 * country or territory": imperial (LBS, IN) from US_MARKETS, metric (KGS, CM) elsewhere.
 */
const KG_PER_LB = 0.45359237;
const CM_PER_IN = 2.54;

/** UPS names and attention names: "35 characters are accepted" (Shipment_Shipper.Name, Shipment_ShipTo.Name). */
const NAME_MAX = 35;

/** Up by a tenth, without float noise (1.1 * 10 is 11.000000000000002). */
const ceilTenth = (value: number) => Math.ceil(Number((value * 10).toFixed(6))) / 10;
const ceilWhole = (value: number) => Math.ceil(Number(value.toFixed(6)));

/** Package_PackageWeight.Weight: a string of at most 5 characters; never declare less than the parcel weighs. */
function weightText(value: number): string {
  const tenth = ceilTenth(value);
  const text = Number.isInteger(tenth) ? String(tenth) : tenth.toFixed(1);
  return text.length <= 5 ? text : String(ceilWhole(value));
}

/** Separators are dropped; Shipper_Phone.Number is digits (max 15). */
const phoneNumber = (phone: string) => phone.replace(/[\s().\-/]/g, '');

function address(party: Party) {
  // Street lines and city are passed unshortened: a cut address could misroute the parcel, so
  // UPS's own 400 is the better outcome (Shipper_Address.AddressLine max 35, City max 30).
  return {
    AddressLine: party.street,
    City: party.city,
    ...(party.stateCode !== undefined ? { StateProvinceCode: party.stateCode } : {}),
    PostalCode: party.postalCode,
    CountryCode: party.countryCode,
  };
}

/**
 * Shipment_Shipper / Shipment_ShipTo: `Name` is the company name; `AttentionName` (the person) is
 * "Required if destination is international" for both.
 */
function contact(party: Party) {
  return {
    Name: (party.company ?? party.name).slice(0, NAME_MAX),
    AttentionName: party.name.slice(0, NAME_MAX),
    ...(party.phone !== undefined ? { Phone: { Number: phoneNumber(party.phone) } } : {}),
    ...(party.email !== undefined ? { EMailAddress: party.email } : {}),
    Address: address(party),
  };
}

/**
 * Shipment_ReferenceNumber.Value is "Valid if the origin/destination pair is not US/US or PR/PR";
 * Package_ReferenceNumber.Value "Valid if the origin/destination pair is US/US or PR/PR" (UPS
 * answers 120541 otherwise, observed: gabrielbull/php-ups-api#327).
 */
function referenceAtPackageLevel(shipment: ShipmentRequest): boolean {
  const pair = `${shipment.shipper.countryCode}/${shipment.recipient.countryCode}`;
  return pair === 'US/US' || pair === 'PR/PR';
}

function upsPackage(parcel: Parcel, imperial: boolean, reference: string | undefined) {
  const { lengthCm, widthCm, heightCm } = parcel;
  const length = (cm: number) => String(ceilWhole(imperial ? cm / CM_PER_IN : cm));
  return {
    // Package_Packaging.Code "02 = Customer Supplied Package".
    Packaging: { Code: '02' },
    // Package_Dimensions: all four members required, so only when all three are known.
    ...(lengthCm !== undefined && widthCm !== undefined && heightCm !== undefined
      ? {
          Dimensions: {
            UnitOfMeasurement: { Code: imperial ? 'IN' : 'CM' },
            Length: length(lengthCm),
            Width: length(widthCm),
            Height: length(heightCm),
          },
        }
      : {}),
    // PackageWeight_UnitOfMeasurement.Code "LBS = Pounds - KGS = Kilograms".
    PackageWeight: {
      UnitOfMeasurement: { Code: imperial ? 'LBS' : 'KGS' },
      Weight: weightText(imperial ? parcel.weightKg / KG_PER_LB : parcel.weightKg),
    },
    ...(reference !== undefined ? { ReferenceNumber: [{ Value: reference }] } : {}),
  };
}

/** The Service.Code for a shipment (UPS_RULES.lanes); throws where UPS has none for the lane. */
export function upsServiceCode(shipment: ShipmentRequest): string {
  const resolved = resolveService(UPS_RULES.lanes, shipment);
  if ('refused' in resolved) throw new Error(`UPS cannot carry this shipment: ${resolved.refused}`);
  return resolved.code;
}

/** ShipmentRequest_Shipment.Description: 1 to 50 characters, "a detailed description of items". */
const DESCRIPTION_MAX = 50;

/** The description of goods: every item's, while they fit; else the first item's and the count of the rest. */
function goodsDescription(customs: Customs): string {
  const all = customs.items.map((item) => item.description).join(', ');
  if (all.length <= DESCRIPTION_MAX) return all;
  const more = ` and ${customs.items.length - 1} more`;
  const first = customs.items[0]!.description;
  return customs.items.length > 1 && first.length + more.length <= DESCRIPTION_MAX
    ? `${first}${more}`
    : first.slice(0, DESCRIPTION_MAX).trimEnd();
}

/** InternationalForms.ReasonForExport: "SALE, GIFT, SAMPLE, RETURN, REPAIR, INTERCOMPANYDATA". */
const REASON_FOR_EXPORT = {
  merchandise: 'SALE',
  gift: 'GIFT',
  sample: 'SAMPLE',
  return: 'RETURN',
} as const;

const money = (value: number) => value.toFixed(2);
const yyyymmdd = (date: Date) => date.toISOString().slice(0, 10).replaceAll('-', '');

/**
 * ShipmentServiceOptions_InternationalForms as a commercial invoice (FormType "01 - Invoice";
 * required: FormType, Product). For Invoice forms the spec marks InvoiceNumber, InvoiceDate
 * (yyyyMMdd), ReasonForExport and CurrencyCode required; each Product needs Description (35, up
 * to 3 lines), Unit {Number, UnitOfMeasurement.Code, Value}, OriginCountryCode, and PartNumber
 * ("Required for Invoice forms"): the item's line number, as the gateway has no part numbers.
 * Unit code PCS is from UPS's Appendix (not saved: UNVERIFIED). Documents need no invoice.
 */
function internationalForms(customs: Customs, shipmentId: string, today: Date) {
  if (customs.contents === 'documents') return undefined;
  return {
    FormType: ['01'],
    InvoiceNumber: (customs.invoiceNumber ?? shipmentId).slice(0, 35),
    InvoiceDate: yyyymmdd(today),
    ReasonForExport: REASON_FOR_EXPORT[customs.contents],
    CurrencyCode: customs.items[0]!.currency,
    // TermsOfShipment: "Indicates the rights to the seller from the buyer", Incoterm codes (max 3).
    TermsOfShipment: customs.incoterm,
    Product: customs.items.map((item, index) => ({
      Description: [item.description],
      Unit: {
        Number: String(item.quantity),
        UnitOfMeasurement: { Code: 'PCS' },
        Value: money(item.unitValue),
      },
      ...(item.hsCode !== undefined ? { CommodityCode: item.hsCode } : {}),
      PartNumber: String(index + 1),
      OriginCountryCode: item.originCountry,
    })),
  };
}

/**
 * What the customs declaration adds to Shipment: Description (required across borders but for EU
 * Standard; UPS_RULES makes sure it is there), InvoiceLineTotal ("Required for forward shipments
 * whose origin is the US and destination is Puerto Rico or Canada": whole units 1 to 99999999),
 * and the commercial invoice outside the EU (inside, no goods clear customs).
 */
function customsFields(shipment: ShipmentRequest, shipmentId: string, today: Date) {
  const { customs, shipper, recipient } = shipment;
  if (customs === undefined || shipper.countryCode === recipient.countryCode) return {};
  const invoiceLineTotal =
    US_MARKETS.has(shipper.countryCode) && ['CA', 'PR'].includes(recipient.countryCode)
      ? {
          InvoiceLineTotal: {
            CurrencyCode: customs.items[0]!.currency,
            MonetaryValue: String(Math.max(1, Math.ceil(customsValue(customs)))),
          },
        }
      : {};
  const withinEu = EU_COUNTRIES.has(shipper.countryCode) && EU_COUNTRIES.has(recipient.countryCode);
  const forms = withinEu ? undefined : internationalForms(customs, shipmentId, today);
  return {
    Description: goodsDescription(customs),
    ...invoiceLineTotal,
    ...(forms !== undefined ? { ShipmentServiceOptions: { InternationalForms: forms } } : {}),
  };
}

/** The `SHIPRequestWrapper` body for one shipment. Pure. */
export function upsShipmentBody(
  shipment: ShipmentRequest,
  settings: UpsShippingSettings,
  shipmentId: string,
  today: Date = new Date(),
): unknown {
  const imperial = US_MARKETS.has(shipment.shipper.countryCode);
  const packageReference = referenceAtPackageLevel(shipment) ? shipment.reference : undefined;
  const shipmentReference = referenceAtPackageLevel(shipment) ? undefined : shipment.reference;
  const imageFormat = LABEL_IMAGE_FORMAT[shipment.labelFormat];
  return {
    ShipmentRequest: {
      Request: {
        // ShipmentRequest_Request.RequestOption (required): "validate" also checks city/state/postal
        // code, which spares the shipper an address-correction fee.
        RequestOption: 'validate',
        // Request_TransactionReference.CustomerContext "will be echoed during response".
        TransactionReference: { CustomerContext: shipmentId },
      },
      Shipment: {
        ...customsFields(shipment, shipmentId, today),
        // No ShipFrom: "If the ShipFrom container is not present then this address [the
        // shipper's] will be used as the ShipFrom address" (Shipper_Address).
        Shipper: { ...contact(shipment.shipper), ShipperNumber: settings.shipperNumber },
        ShipTo: contact(shipment.recipient),
        // PaymentInformation_ShipmentCharge.Type "01 = Transportation is required"; duties are
        // billed to the receiver when no payer is named (same description).
        PaymentInformation: {
          ShipmentCharge: [{ Type: '01', BillShipper: { AccountNumber: settings.shipperNumber } }],
        },
        Service: { Code: upsServiceCode(shipment) },
        ...(shipmentReference !== undefined ? { ReferenceNumber: [{ Value: shipmentReference }] } : {}),
        Package: shipment.parcels.map((parcel) => upsPackage(parcel, imperial, packageReference)),
      },
      // ShipmentRequest_LabelSpecification requires LabelImageFormat and LabelStockSize; the stock
      // size is "Valid for EPL2, ZPL and SPL", 4 x 6 inches ("Only valid values are 6 or 8", width 4).
      LabelSpecification: {
        LabelImageFormat: { Code: imageFormat },
        LabelStockSize: { Height: '6', Width: '4' },
        // HTTPUserAgent: "Required if ... LabelImageFormat/Code = Gif".
        ...(imageFormat === 'GIF' ? { HTTPUserAgent: 'Mozilla/4.5' } : {}),
      },
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const packageResultSchema = z.object({
  TrackingNumber: z.string().min(1),
  ShippingLabel: z.object({
    ImageFormat: z.object({ Code: z.string().min(1) }),
    GraphicImage: z.string().regex(BASE64),
  }),
});

/**
 * ShipmentResults.PackageResults: "For versions >= v2403, this element will always be returned as
 * an array"; older versions send a single object for one package, accepted as well.
 */
const shipmentResponseSchema = z.object({
  ShipmentResponse: z.object({
    ShipmentResults: z.object({
      PackageResults: z.union([packageResultSchema, z.array(packageResultSchema).min(1)]),
    }),
  }),
});

/** Shipping.yaml `ErrorResponse`: `{"response":{"errors":[{"code","message"}]}}` (carrier-auth-facts.md 1.5). */
const errorBodySchema = z.object({
  response: z.object({ errors: z.array(z.object({ code: z.string().min(1) })).min(1) }),
});

function readSuccess(_status: number, body: string): CarrierAnswer {
  const parsed = shipmentResponseSchema.safeParse(parseJson(body));
  if (!parsed.success) return { kind: 'unreadable' };
  const results = [parsed.data.ShipmentResponse.ShipmentResults.PackageResults].flat();
  return {
    kind: 'created',
    trackingNumbers: results.map((result) => result.TrackingNumber),
    labels: results.map(({ ShippingLabel }) => ({
      format: ShippingLabel.ImageFormat.Code,
      data: ShippingLabel.GraphicImage,
    })),
  };
}

export const upsShipping: ShippingAdapter<UpsShippingSettings> = {
  sources: ['../shared/carrier-specs/ups/Shipping.yaml', '../shared/carrier-auth-facts.md section 1 (UPS)'],
  services: SERVICES,
  settingsSchema: upsShippingSettingsSchema,
  check: (shipment) => checkShipment(UPS_RULES, shipment),
  build: ({ shipment, settings, shipmentId }) => ({
    method: 'POST',
    path: UPS_SHIP_PATH,
    // transId and transactionSrc come from decorateUpsRequest (carriers/ups/api.ts), as for every UPS call.
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(upsShipmentBody(shipment, settings, shipmentId)),
  }),
  readSuccess,
  errorCode: (_status, body) => errorBodySchema.safeParse(parseJson(body)).data?.response.errors[0]?.code,
};
