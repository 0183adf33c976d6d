/**
 * @module carriers/dhl-parcel-de/shipping
 * DHL Parcel DE labels for `POST /v1/shipments`: the gateway's shipment becomes one
 * `POST /parcel/de/shipping/v2/orders` with one Parcel DE shipment per parcel (the API has no
 * multi-piece shipment), and the LabelDataResponse is read back. Written from
 * ../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml [SHIP]. Shipments go from Germany to
 * any country of [SHIP] `Country`; outside the European customs union the shipment's customs block
 * becomes [SHIP] CustomsDetails (required there by DHL_PARCEL_DE_RULES, ./rules.ts).
 */
import { z } from 'zod';

import {
  isDomestic,
  type Customs,
  type CustomsContents,
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
import { DHL_PARCEL_DE_RULES } from './rules.js';

/**
 * ISO 3166-1 alpha-2 → alpha-3 for every country [SHIP] `Country` lists (243 codes, "three
 * characters according to ISO 3166-1 alpha-3"; the pairs are ISO 3166-1's), as `AAbbb` pairs.
 */
const ALPHA3: ReadonlyMap<string, string> = new Map(
  `
  ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO ARARG ASASM ATAUT AUAUS AWABW AXALA AZAZE BABIH
  BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES BRBRA BSBHS BTBTN
  BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK CLCHL CMCMR CNCHN COCOL
  CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM DZDZA ECECU EEEST EGEGY
  ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO GFGUF GGGGY GHGHA
  GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD HNHND HRHRV HTHTI
  HUHUN IDIDN IEIRL ILISR IMIMN ININD IQIRQ IRIRN ISISL ITITA JEJEY JMJAM JOJOR JPJPN KEKEN KGKGZ
  KHKHM KIKIR KMCOM KNKNA KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA LILIE LKLKA LRLBR LSLSO
  LTLTU LULUX LVLVA LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD MLMLI MMMMR MNMNG MOMAC
  MPMNP MQMTQ MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM NCNCL NENER NFNFK NGNGA
  NINIC NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG PHPHL PKPAK PLPOL PMSPM
  PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA SASAU SBSLB SCSYC SDSDN
  SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD STSTP SVSLV SXSXM SYSYR
  SZSWZ TCTCA TDTCD TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON TRTUR TTTTO TVTUV TWTWN TZTZA
  UAUKR UGUGA USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR VNVNM VUVUT WFWLF WSWSM YEYEM YTMYT
  ZAZAF ZMZMB ZWZWE
`
    .split(/\s+/)
    .filter((pair) => pair !== '')
    .map((pair) => [pair.slice(0, 2), pair.slice(2)]),
); // prettier-ignore

/** A country's [SHIP] `Country` code, or undefined for one DHL's list does not have. */
export const dhlCountry = (alpha2: string): string | undefined => ALPHA3.get(alpha2);

/** The products the services table uses ([SHIP] `Product`: V01PAK DHL PAKET, V53WPAK DHL PAKET International). */
export const DHL_PARCEL_DE_PRODUCTS = ['V01PAK', 'V53WPAK'] as const;
type Product = (typeof DHL_PARCEL_DE_PRODUCTS)[number];

/** [SHIP] `servers` (.../parcel/de/shipping/v2) + `POST /orders`, under the account's host root. */
const ORDERS_PATH = 'parcel/de/shipping/v2/orders';
/** [SHIP] `docFormat` enum: PDF | ZPL2. */
const DOC_FORMATS = { PDF: 'PDF', ZPL: 'ZPL2' } as const;
/** [SHIP] `printFormat` enum of `POST /orders`; absent, the customer portal's setting applies. */
const PRINT_FORMATS = [
  'A4', '910-300-600', '910-300-610', '910-300-700', '910-300-700-oz', '910-300-710', '910-300-300',
  '910-300-300-oz', '910-300-400', '910-300-410', '100x70mm',
] as const; // prettier-ignore
/** [SHIP] `Weight.value` maximum 31500 in the unit of its examples, g: 31.5 kg per parcel. */
const MAX_PARCEL_KG = 31.5;
/** [SHIP] ContactAddress/Shipper `postalCode` pattern and length 3–10. */
const POSTAL_CODE = /^[0-9A-Za-z]+([ -]?[0-9A-Za-z]+)*$/;

/**
 * [SHIP] Shipment.billingNumber: pattern `\w{10}\d{2}\w{2}`, 14 characters (EKP, procedure,
 * participation); "Digit 11 and digit 12 must correspond to the number of the product, e.g.
 * 333333333301tt can only be used for the product V01PAK".
 */
function billingNumber(product: Product) {
  const procedure = product.slice(1, 3);
  return z
    .string()
    .regex(/^\w{10}\d{2}\w{2}$/, {
      message: `${product}: 14 characters, EKP (10) + procedure (2 digits) + participation (2)`,
      abort: true,
    })
    .refine((value) => value.slice(10, 12) === procedure, `${product}: digits 11-12 must be ${procedure}`);
}

export const dhlParcelDeShippingSettingsSchema = z.strictObject({
  /** One billing number per product of the services table. */
  billingNumbers: z.strictObject({ V01PAK: billingNumber('V01PAK'), V53WPAK: billingNumber('V53WPAK') }),
  /** [SHIP] ShipmentOrderRequest.profile (at most 35); the examples use STANDARD_GRUPPENPROFIL. */
  profile: z.string().min(1).max(35).default('STANDARD_GRUPPENPROFIL'),
  printFormat: z.enum(PRINT_FORMATS).optional(),
});
export type DhlParcelDeShippingSettings = z.infer<typeof dhlParcelDeShippingSettingsSchema>;

/**
 * The codes per level as the adapter contract lists them. Domestic express is not offered
 * (DHL_PARCEL_DE_RULES.lanes in ./rules.ts says why); international express is V53WPAK with VAS
 * `premium`.
 */
const services = {
  standard: { domestic: 'V01PAK', international: 'V53WPAK' },
  express: { domestic: 'V01PAK', international: 'V53WPAK' },
} satisfies ShippingAdapter['services'];

/** Name lines: the company is the addressee when there is one ([SHIP] name1 "Line 1 of name information"). */
const nameLines = (party: Party) =>
  party.company === undefined ? { name1: party.name } : { name1: party.company, name2: party.name };
/** The shipper has no extra address lines ([SHIP] Shipper), so its street lines share addressStreet. */
const shipperStreet = (party: Party) => party.street.join(', ');
const optional = (key: string, value: string | undefined, min: number, max: number) =>
  value !== undefined && value.length >= min && value.length <= max ? { [key]: value } : {};

/** Required text fields with [SHIP]'s maximum lengths (Shipper and ContactAddress; additional lines 60). */
function limitedFields({ shipper, recipient }: ShipmentRequest): [string, string, number][] {
  const names = (role: string, party: Party) =>
    Object.entries(nameLines(party)).map(([field, value]): [string, string, number] => [
      `${role}.${field}`,
      value,
      50,
    ]);
  return [
    ...names('shipper', shipper),
    ['shipper.street', shipperStreet(shipper), 50],
    ['shipper.city', shipper.city, 40],
    ...names('recipient', recipient),
    ...recipient.street.map((line, index): [string, string, number] => [
      `recipient.street[${index}]`,
      line,
      index ? 60 : 50,
    ]),
    ['recipient.city', recipient.city, 40],
  ];
}

/**
 * Why Parcel DE cannot carry this shipment as given, or undefined. Required fields beyond [SHIP]'s
 * limits refuse the shipment; optional contact fields that do not fit are left out instead.
 */
export function dhlParcelDeUnsupported(shipment: ShipmentRequest): string | undefined {
  const { shipper, recipient } = shipment;
  const service = resolveService(DHL_PARCEL_DE_RULES.lanes, shipment);
  if ('refused' in service) return service.refused;
  // Billing numbers are German contracts (EKP) and the products ship from Germany ([SHIP] info).
  if (shipper.countryCode !== 'DE') return 'DHL Parcel DE ships from Germany (DE) only';
  if (dhlCountry(recipient.countryCode) === undefined)
    return `recipient country ${recipient.countryCode} is not in DHL Parcel DE's country list`;
  // One CustomsDetails per Parcel DE shipment, i.e. per parcel ([SHIP] CustomsDetails.items
  // "Commodity types in that package"): the shipment's one declaration cannot be split by parcel.
  if (needsCustoms(shipment) && shipment.parcels.length > 1)
    return 'outside the EU, DHL Parcel DE declares customs per parcel: send one parcel per shipment';
  if (shipment.parcels.some((parcel) => parcel.weightKg > MAX_PARCEL_KG))
    return `a parcel weighs more than ${MAX_PARCEL_KG} kg`;
  for (const [role, { postalCode }] of Object.entries({ shipper, recipient })) {
    if (!POSTAL_CODE.test(postalCode) || postalCode.length < 3 || postalCode.length > 10)
      return `${role}.postalCode is not a postal code DHL accepts (3-10 letters, digits, spaces, hyphens)`;
  }
  const tooLong = limitedFields(shipment).find(([, value, max]) => value.length > max);
  return tooLong && `${tooLong[0]} is longer than ${tooLong[2]} characters`;
}

/** [SHIP] Shipper: name, street, postal code, city, alpha-3 country; email is its only contact field. */
function shipperOf(party: Party) {
  return {
    ...nameLines(party),
    addressStreet: shipperStreet(party),
    postalCode: party.postalCode,
    city: party.city,
    country: dhlCountry(party.countryCode)!,
    ...optional('email', party.email, 3, 80),
  };
}

/** [SHIP] ContactAddress, the doorstep consignee. */
function consigneeOf(party: Party, domestic: boolean) {
  const [street, info1, info2] = party.street;
  return {
    ...nameLines(party),
    addressStreet: street!,
    ...optional('additionalAddressInformation1', info1, 1, 60),
    ...optional('additionalAddressInformation2', info2, 1, 60),
    postalCode: party.postalCode,
    city: party.city,
    ...optional('state', party.stateCode, 1, 20),
    country: dhlCountry(party.countryCode)!,
    // "For shipments within Germany, the phone number cannot be transmitted" ([SHIP] ContactAddress.phone).
    ...(domestic ? {} : optional('phone', party.phone, 1, 20)),
    ...optional('email', party.email, 3, 80),
  };
}

/**
 * [SHIP] ShipmentDetails: weight (Weight {uom, value}) and, only when all three are known,
 * Dimensions (integers; "all attributes need to be provided"), rounded up to whole cm.
 */
function detailsOf(parcel: Parcel) {
  const { lengthCm, widthCm, heightCm } = parcel;
  const dims =
    lengthCm && widthCm && heightCm
      ? {
          dim: {
            uom: 'cm',
            length: Math.ceil(lengthCm),
            width: Math.ceil(widthCm),
            height: Math.ceil(heightCm),
          },
        }
      : {};
  return { weight: { uom: 'kg', value: Math.round(parcel.weightKg * 1000) / 1000 }, ...dims };
}

/** [SHIP] Shipment.refNo: 8–35 characters, printed on the label; the reference, else the gateway's id. */
function refNoOf(shipment: ShipmentRequest, shipmentId: string): { refNo?: string } {
  const fits = (value: string | undefined) => value !== undefined && value.length >= 8 && value.length <= 35;
  if (fits(shipment.reference)) return { refNo: shipment.reference! };
  return fits(shipmentId) ? { refNo: shipmentId } : {};
}

/** Outside the European customs union: [SHIP] CustomsDetails "mandatory depending on whether the parcel will go to a country outside the European Customs Union". */
const needsCustoms = (shipment: ShipmentRequest) => !EU_COUNTRIES.has(shipment.recipient.countryCode);

/** [SHIP] CustomsDetails.exportType enum, per the shipment's contents. */
const EXPORT_TYPES: Readonly<Record<CustomsContents, string>> = {
  merchandise: 'COMMERCIAL_GOODS',
  documents: 'DOCUMENT',
  gift: 'PRESENT',
  sample: 'COMMERCIAL_SAMPLE',
  return: 'RETURN_OF_GOODS',
};

/**
 * [SHIP] CustomsDetails (required: exportType, postalCharges, items): one Commodity per line
 * (required: itemDescription, packagedQuantity, itemValue and itemWeight of one unit, "If you ship
 * 5 t-shirts, you need to include the weight and value of one single shirt"; optional hsCode and
 * countryOfOrigin, alpha-3). postalCharges are "Postal charges that have been charged to the
 * recipient" in the goods' currency ("The currency details of the individual goods items and the
 * currency of the postal charges must match"): the shipment does not carry them, so 0 is declared
 * (docs/carriers/unverified.md). The incoterm is not sent: `shippingConditions` is "exclusively
 * used for the product Europaket (V54EPAK)".
 */
export function dhlParcelDeCustoms(customs: Customs) {
  const currency = customs.items[0]!.currency;
  return {
    ...(customs.invoiceNumber !== undefined ? { invoiceNo: customs.invoiceNumber } : {}),
    exportType: EXPORT_TYPES[customs.contents],
    postalCharges: { currency, value: 0 },
    items: customs.items.map((item) => ({
      itemDescription: item.description,
      packagedQuantity: item.quantity,
      ...(item.hsCode !== undefined ? { hsCode: item.hsCode } : {}),
      ...(dhlCountry(item.originCountry) !== undefined
        ? { countryOfOrigin: dhlCountry(item.originCountry)! }
        : {}),
      itemValue: { currency: item.currency, value: item.unitValue },
      itemWeight: { uom: 'kg', value: Math.round(item.weightKg * 1000) / 1000 },
    })),
  };
}

/** The ShipmentOrderRequest body: pure in (shipment, settings, shipmentId). */
export function dhlParcelDeOrder(
  shipment: ShipmentRequest,
  settings: DhlParcelDeShippingSettings,
  shipmentId: string,
) {
  const domestic = isDomestic(shipment);
  const service = resolveService(DHL_PARCEL_DE_RULES.lanes, shipment);
  if ('refused' in service) throw new Error(`DHL Parcel DE cannot carry this shipment: ${service.refused}`);
  const product = service.code as Product;
  const premium = shipment.service === 'express' && !domestic ? { services: { premium: true } } : {};
  const common = {
    product,
    billingNumber: settings.billingNumbers[product],
    ...refNoOf(shipment, shipmentId),
    shipper: shipperOf(shipment.shipper),
    consignee: consigneeOf(shipment.recipient, domestic),
    ...(shipment.customs !== undefined && needsCustoms(shipment)
      ? { customs: dhlParcelDeCustoms(shipment.customs) }
      : {}),
  };
  return {
    profile: settings.profile,
    shipments: shipment.parcels.map((parcel) => ({ ...common, details: detailsOf(parcel), ...premium })),
  };
}

function build({ shipment, settings, shipmentId }: ShipmentDraft<DhlParcelDeShippingSettings>): ShippingCall {
  const unsupported = dhlParcelDeUnsupported(shipment);
  if (unsupported !== undefined) throw new Error(`DHL Parcel DE cannot carry this shipment: ${unsupported}`);
  // [SHIP] includeDocs=include: labels "included as base64 encoded data in the response" (the default, said anyway).
  const query = new URLSearchParams({ includeDocs: 'include', docFormat: DOC_FORMATS[shipment.labelFormat] });
  if (settings.printFormat !== undefined) query.set('printFormat', settings.printFormat);
  return {
    method: 'POST',
    path: `${ORDERS_PATH}?${query.toString()}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(dhlParcelDeOrder(shipment, settings, shipmentId)),
  };
}

/** [SHIP] RequestStatus: `status` (and the deprecated `statusCode`) is the one machine-readable code. */
const requestStatus = z.looseObject({
  status: z.number().int().optional(),
  statusCode: z.number().int().optional(),
});
const documentSchema = z.looseObject({
  b64: z.string().min(1).optional(),
  zpl2: z.string().min(1).optional(),
  fileFormat: z.string().optional(),
});
/** [SHIP] LabelDataResponse / ResponseItem, as far as the gateway reads them. */
const labelDataResponse = z.looseObject({
  status: requestStatus.optional(),
  items: z.array(
    z.looseObject({
      shipmentNo: z.string().min(1).optional(),
      sstatus: requestStatus,
      label: documentSchema.optional(),
    }),
  ),
});
const codeOf = (status: z.infer<typeof requestStatus> | undefined) => status?.status ?? status?.statusCode;

/** A label from [SHIP] Document: "base64 encoded for PDF, text for ZPL" (`b64` or `zpl2`). */
function labelOf(document: z.infer<typeof documentSchema> | undefined) {
  if (document?.b64 !== undefined) return { format: document.fileFormat ?? 'PDF', data: document.b64 };
  if (document?.zpl2 !== undefined)
    return {
      format: document.fileFormat ?? 'ZPL2',
      data: Buffer.from(document.zpl2, 'utf8').toString('base64'),
    };
  return undefined;
}

/**
 * 200 (one shipment) or 207 (several, [SHIP] "multistatus") with one item per shipment, in order.
 * Every item created: the label. None created and every item refused: rejected. A mix (some
 * parcels have labels, others not) cannot be expressed as one answer: unreadable.
 */
function readSuccess(_status: number, body: string): CarrierAnswer {
  const parsed = labelDataResponse.safeParse(parseJson(body));
  if (!parsed.success || parsed.data.items.length === 0) return { kind: 'unreadable' };
  const items = parsed.data.items;
  const labels = items.map((item) => (item.shipmentNo === undefined ? undefined : labelOf(item.label)));
  if (labels.every((label) => label !== undefined)) {
    return { kind: 'created', trackingNumbers: items.map((item) => item.shipmentNo!), labels };
  }
  const refused = items.every((item) => item.shipmentNo === undefined && (codeOf(item.sstatus) ?? 0) >= 400);
  if (!refused) return { kind: 'unreadable' };
  const code = codeOf(items[0]!.sstatus);
  return code === undefined ? { kind: 'rejected' } : { kind: 'rejected', carrierCode: String(code) };
}

/**
 * Parcel DE errors carry no code of their own: RequestStatus {title, status, detail} ([SHIP]
 * Unauthorized, TooManyRequests, InternalServerError) or a LabelDataResponse whose validation
 * messages are prose (BadRequest). Titles and messages follow `Accept-Language` ([SHIP]), so the
 * stable part is the RequestStatus `status` ("usually, but not necessarily the HTTP status code").
 */
function errorCode(_status: number, body: string): string | undefined {
  const parsed = parseJson(body);
  const flat = requestStatus.safeParse(parsed);
  const nested = labelDataResponse.partial().safeParse(parsed);
  const code =
    (nested.success ? (codeOf(nested.data.status) ?? codeOf(nested.data.items?.[0]?.sstatus)) : undefined) ??
    (flat.success ? codeOf(flat.data) : undefined);
  return code === undefined ? undefined : String(code);
}

export const dhlParcelDeShipping: ShippingAdapter<DhlParcelDeShippingSettings> = {
  sources: [
    '../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml (POST /orders, ShipmentOrderRequest, LabelDataResponse)',
  ],
  services,
  settingsSchema: dhlParcelDeShippingSettingsSchema,
  supports: (shipment) => dhlParcelDeUnsupported(shipment) === undefined,
  check: (shipment) => {
    const reason = dhlParcelDeUnsupported(shipment);
    return reason !== undefined
      ? { kind: 'not_supported', reason }
      : checkShipment(DHL_PARCEL_DE_RULES, shipment);
  },
  build,
  readSuccess,
  errorCode,
};
