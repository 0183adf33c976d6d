/**
 * @module carriers/fedex/shipping
 * The FedEx Ship API as a label adapter: the gateway's shipment becomes one `POST ship/v1/shipments`
 * (Full_Schema_Ship) and the answer's piece responses become tracking numbers and labels. Every
 * field cites ../shared/carrier-specs/fedex/Shipment-Resource.json (`components.schemas.<name>`,
 * the request body is `Full_Schema_Ship`) unless another source is named. Shaped like
 * carriers/ups/shipping.ts.
 */
import { z } from 'zod';

import {
  customsValue,
  type Customs,
  type Parcel,
  type Party,
  type ShipmentRequest,
} from '../../src/core/shipment.js';
import { resolveService } from '../../src/core/shipment-rules.js';
import {
  checkShipment,
  parseJson,
  type CarrierAnswer,
  type ShippingAdapter,
} from '../../src/core/shipping-adapter.js';
import { FEDEX_RULES } from './rules.js';

/** `POST /ship/v1/shipments` ("Create Shipment"); the spec's servers are `/`, so no prefix. */
export const FEDEX_SHIP_PATH = 'ship/v1/shipments';

/** RequestedShipment_1.pickupType enum. */
const PICKUP_TYPES = [
  'CONTACT_FEDEX_TO_SCHEDULE',
  'DROPOFF_AT_FEDEX_LOCATION',
  'USE_SCHEDULED_PICKUP',
] as const;

export const fedexShippingSettingsSchema = z.strictObject({
  /**
   * Full_Schema_Ship.accountNumber.value ("Maximum length is 9"); the 400 example of
   * POST /ship/v1/shipments asks for "a valid 9-digit FedEx account number".
   */
  accountNumber: z.string().regex(/^\d{9}$/, 'the 9-digit FedEx account number, e.g. "740561073"'),
  /** How parcels reach FedEx (pickupType, "Required for FedEx Express and Ground Shipment"). */
  pickupType: z.enum(PICKUP_TYPES).default('DROPOFF_AT_FEDEX_LOCATION'),
});
export type FedexShippingSettings = z.infer<typeof fedexShippingSettingsSchema>;

/**
 * The codes per level, as the adapter contract lists them; which lane books which (and that the
 * domestic pair is US/CA only) is FEDEX_RULES.lanes in ./rules.ts, with the sources.
 */
const SERVICES = {
  standard: { domestic: 'FEDEX_GROUND', international: 'INTERNATIONAL_ECONOMY' },
  express: { domestic: 'PRIORITY_OVERNIGHT', international: 'INTERNATIONAL_PRIORITY' },
} as const;

/**
 * LabelSpecification.imageType enum ZPLII, EPL2, PDF, PNG; labelStockType: PAPER_4X6 for sheet
 * printers, STOCK_4X6 (thermal roll) for ZPL.
 */
const LABELS = {
  PDF: { imageType: 'PDF', labelStockType: 'PAPER_4X6' },
  ZPL: { imageType: 'ZPLII', labelStockType: 'STOCK_4X6' },
} as const;

const LB_PER_KG = 2.20462262;
/** PartyContact.companyName "Max length is 35"; personName "Maximum length is 70". */
const COMPANY_MAX = 35;
const PERSON_MAX = 70;

const ceilTenth = (value: number) => Math.ceil(Number((value * 10).toFixed(6))) / 10;
const ceilWhole = (value: number) => Math.ceil(Number(value.toFixed(6)));

/** Separators are dropped (PartyContact.phoneNumber: 10 to 15 digits, US/CA "+1" allowed). */
const phoneNumber = (phone: string) => phone.replace(/[\s().\-/]/g, '');

/**
 * PartyAddress_2 (streetLines, city, countryCode required) and PartyContact (phoneNumber required:
 * FEDEX_RULES refuses a party without one before any call; the gateway invents no number).
 * Street lines and city go unshortened, as for UPS: FedEx's 400 beats a misrouted parcel.
 */
function party(p: Party) {
  return {
    address: {
      streetLines: p.street,
      city: p.city,
      ...(p.stateCode !== undefined ? { stateOrProvinceCode: p.stateCode } : {}),
      postalCode: p.postalCode,
      countryCode: p.countryCode,
    },
    contact: {
      personName: p.name.slice(0, PERSON_MAX),
      ...(p.company !== undefined ? { companyName: p.company.slice(0, COMPANY_MAX) } : {}),
      ...(p.phone !== undefined ? { phoneNumber: phoneNumber(p.phone) } : {}),
      ...(p.email !== undefined ? { emailAddress: p.email } : {}),
    },
  };
}

/**
 * customerReferences[].value: CUSTOMER_REFERENCE takes "40(Express), 30(Ground)" characters; the
 * gateway's reference has at most 35.
 */
function references(reference: string | undefined, service: string) {
  if (reference === undefined) return {};
  const max = service === 'FEDEX_GROUND' ? 30 : 40;
  return {
    customerReferences: [{ customerReferenceType: 'CUSTOMER_REFERENCE', value: reference.slice(0, max) }],
  };
}

function lineItem(parcel: Parcel, reference: ReturnType<typeof references>) {
  const { lengthCm, widthCm, heightCm } = parcel;
  return {
    // groupPackageCount 1 per parcel, as in US_Domestic_SingleShot_Multi_Piece_Shipment; the
    // customer references need it ("The groupPackageCount must be specified to retrieve customer references").
    groupPackageCount: 1,
    // Weight: units KG|LB, value a number.
    weight: { units: 'KG', value: parcel.weightKg },
    // dimensions: "optional but when added, then all three dimensions must be indicated"; integers.
    ...(lengthCm !== undefined && widthCm !== undefined && heightCm !== undefined
      ? {
          dimensions: {
            length: ceilWhole(lengthCm),
            width: ceilWhole(widthCm),
            height: ceilWhole(heightCm),
            units: 'CM',
          },
        }
      : {}),
    ...reference,
  };
}

/** CommercialInvoice.shipmentPurpose enum ("SOLD is not a valid purpose for a Proforma Invoice"). */
const SHIPMENT_PURPOSE = {
  merchandise: 'SOLD',
  documents: 'NOT_SOLD',
  gift: 'GIFT',
  sample: 'SAMPLE',
  return: 'REPAIR_AND_RETURN',
} as const;

/**
 * CustomsClearanceDetail (required: commercialInvoice, commodities; "Required for International and
 * intra-country Shipments", l.3175), shaped like the spec's international examples (l.5793): duties
 * paid by the recipient unless the incoterm is DDP; one Commodity per item (description required,
 * countryOfManufacture "required for International shipments", quantity with quantityUnits PCS,
 * unitPrice and customsValue as Customs_Money, weight in KG, the only Weight_4 unit).
 */
function customsClearanceDetail(customs: Customs) {
  const currency = customs.items[0]!.currency;
  return {
    dutiesPayment: { paymentType: customs.incoterm === 'DDP' ? 'SENDER' : 'RECIPIENT' },
    // isDocumentOnly: "Only used for international Express requests"; false is the default.
    isDocumentOnly: customs.contents === 'documents',
    commercialInvoice: {
      shipmentPurpose: SHIPMENT_PURPOSE[customs.contents],
      // termsOfSale: "Max length is 3", e.g. FCA.
      termsOfSale: customs.incoterm,
      ...(customs.invoiceNumber !== undefined
        ? { customerReferences: [{ customerReferenceType: 'INVOICE_NUMBER', value: customs.invoiceNumber }] }
        : {}),
    },
    totalCustomsValue: { amount: customsValue(customs), currency },
    commodities: customs.items.map((item) => ({
      description: item.description,
      countryOfManufacture: item.originCountry,
      quantity: item.quantity,
      quantityUnits: 'PCS',
      unitPrice: { amount: item.unitValue, currency: item.currency },
      customsValue: {
        amount: Math.round(item.unitValue * item.quantity * 100) / 100,
        currency: item.currency,
      },
      weight: { units: 'KG', value: Math.round(item.weightKg * item.quantity * 1000) / 1000 },
      ...(item.hsCode !== undefined ? { harmonizedCode: item.hsCode } : {}),
    })),
  };
}

/** The serviceType for a shipment (FEDEX_RULES.lanes); throws where FedEx has none mapped. */
export function fedexServiceType(shipment: ShipmentRequest): string {
  const resolved = resolveService(FEDEX_RULES.lanes, shipment);
  if ('refused' in resolved) throw new Error(`FedEx cannot carry this shipment: ${resolved.refused}`);
  return resolved.code;
}

/** The `Full_Schema_Ship` body for one shipment. Pure. */
export function fedexShipmentBody(shipment: ShipmentRequest, settings: FedexShippingSettings): unknown {
  const service = fedexServiceType(shipment);
  const reference = references(shipment.reference, service);
  const totalKg = shipment.parcels.reduce((sum, parcel) => sum + parcel.weightKg, 0);
  const account = { value: settings.accountNumber };
  return {
    // LABELRESPONSEOPTIONS: LABEL returns the label itself (encodedLabel), URL_ONLY a link.
    labelResponseOptions: 'LABEL',
    accountNumber: account,
    requestedShipment: {
      shipper: party(shipment.shipper),
      recipients: [party(shipment.recipient)],
      pickupType: settings.pickupType,
      serviceType: service,
      // packagingType YOUR_PACKAGING: the customer's own box, as in the spec's examples.
      packagingType: 'YOUR_PACKAGING',
      // totalWeight (required): "in pounds", "1 explicit decimal position"; rounded up.
      totalWeight: ceilTenth(totalKg * LB_PER_KG),
      totalPackageCount: shipment.parcels.length,
      // Payment.payor is "mandatory when the paymentType is RECIPIENT, THIRD_PARTY or COLLECT";
      // with SENDER its account must be the shipper's (400 ACCOUNT.NUMBER.MISMATCH otherwise,
      // observed: alexeybusygin/ShippingRates#101).
      shippingChargesPayment: {
        paymentType: 'SENDER',
        payor: { responsibleParty: { accountNumber: account } },
      },
      labelSpecification: LABELS[shipment.labelFormat],
      ...(shipment.customs !== undefined && shipment.shipper.countryCode !== shipment.recipient.countryCode
        ? { customsClearanceDetail: customsClearanceDetail(shipment.customs) }
        : {}),
      requestedPackageLineItems: shipment.parcels.map((parcel) => lineItem(parcel, reference)),
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const documentSchema = z.object({
  contentType: z.string().optional(),
  docType: z.string().optional(),
  encodedLabel: z.string().optional(),
});
const pieceSchema = z.object({
  trackingNumber: z.string().min(1).optional(),
  packageDocuments: z.array(documentSchema).optional(),
});
/** SHPCResponseVO_ShipShipment → output.transactionShipments[].pieceResponses[]. */
const shipResponseSchema = z.object({
  output: z.object({
    transactionShipments: z
      .array(
        z.object({
          masterTrackingNumber: z.string().min(1).optional(),
          pieceResponses: z.array(pieceSchema).optional(),
        }),
      )
      .min(1),
  }),
});

/** ErrorResponseVO: `{transactionId, customerTransactionId?, errors: [{code, message, parameterList?}]}`. */
const errorBodySchema = z.object({ errors: z.array(z.object({ code: z.string().min(1) })).min(1) });

function readSuccess(_status: number, body: string): CarrierAnswer {
  const parsed = shipResponseSchema.safeParse(parseJson(body));
  if (!parsed.success) return { kind: 'unreadable' };
  const trackingNumbers: string[] = [];
  const labels: { format: string; data: string }[] = [];
  for (const transaction of parsed.data.output.transactionShipments) {
    const pieces = transaction.pieceResponses ?? [];
    const numbers = pieces.flatMap((piece) => (piece.trackingNumber ? [piece.trackingNumber] : []));
    // A piece response without its own number: the shipment's masterTrackingNumber stands for it.
    if (numbers.length === 0 && transaction.masterTrackingNumber)
      numbers.push(transaction.masterTrackingNumber);
    trackingNumbers.push(...numbers);
    for (const document of pieces.flatMap((piece) => piece.packageDocuments ?? [])) {
      // PackageDocument.contentType LABEL; other documents (invoices, manifests) are not labels.
      if (document.contentType !== undefined && document.contentType !== 'LABEL') continue;
      if (document.encodedLabel === undefined || !BASE64.test(document.encodedLabel)) continue;
      labels.push({ format: document.docType ?? 'UNKNOWN', data: document.encodedLabel });
    }
  }
  // A success without a number or a label (URL_ONLY, say) cannot be handed to the shipping app.
  if (trackingNumbers.length === 0 || labels.length === 0) return { kind: 'unreadable' };
  return { kind: 'created', trackingNumbers, labels };
}

export const fedexShipping: ShippingAdapter<FedexShippingSettings> = {
  sources: [
    '../shared/carrier-specs/fedex/Shipment-Resource.json',
    '../shared/carrier-auth-facts.md section 2 (FedEx)',
  ],
  services: SERVICES,
  settingsSchema: fedexShippingSettingsSchema,
  check: (shipment) => checkShipment(FEDEX_RULES, shipment),
  build: ({ shipment, settings, shipmentId }) => ({
    method: 'POST',
    path: FEDEX_SHIP_PATH,
    headers: {
      // Both declared by the operation: content-type required, x-customer-transaction-id optional
      // ("returned in the reply and helps you match the request to the reply").
      'content-type': 'application/json',
      'x-customer-transaction-id': shipmentId,
    },
    body: JSON.stringify(fedexShipmentBody(shipment, settings)),
  }),
  readSuccess,
  errorCode: (_status, body) => errorBodySchema.safeParse(parseJson(body)).data?.errors[0]?.code,
};
