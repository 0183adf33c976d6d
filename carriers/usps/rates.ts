/**
 * @module carriers/usps/rates
 * USPS Domestic Prices as a rates adapter: one `POST /prices/v3/base-rates-list/search`
 * (RateListQuery: "all possible prices based on the ingredients") for the parcel's mail
 * classes, read back as the lowest price per mail class. Fields cite
 * ../shared/carrier-specs/usps/domestic-prices.yaml (`components.schemas.<name>`).
 *
 * What USPS prices here: one domestic parcel with its dimensions (RateListQuery requires
 * weight, length, width and height, and prices one piece); anything else is `not_supported`.
 * Transit days are another USPS API (service standards), so the answer has none.
 */
import { parseJson } from '../../src/core/json.js';
import { money, type RateQuote, type RatesAdapter } from '../../src/core/rates-adapter.js';
import type { ShipmentRequest } from '../../src/core/shipment.js';
import { uspsMailingDate } from './shipping.js';

/** Servers `https://apis.usps.com/prices/v3` + `/base-rates-list/search`. */
export const USPS_RATES_PATH = 'prices/v3/base-rates-list/search';

/** MailClassesOutboundOnly values asked for, with the names the enum's values stand for. */
export const USPS_MAIL_CLASSES: Readonly<Record<string, string>> = {
  USPS_GROUND_ADVANTAGE: 'USPS Ground Advantage',
  PRIORITY_MAIL: 'Priority Mail',
  PRIORITY_MAIL_EXPRESS: 'Priority Mail Express',
};

/** OriginZIPCode / DestinationZIPCode pattern. */
const ZIP = /^\d{5}(?:[-\s]\d{4})?$/;
/** US states, territories and military codes ship domestically (USPS's "domestic" addresses). */
const DOMESTIC = new Set(['US', 'PR', 'GU', 'VI', 'AS', 'MP']);
const LB_PER_KG = 2.20462262;
const IN_PER_CM = 1 / 2.54;
const round = (value: number, places = 2) => Number(value.toFixed(places));

function unsupported(shipment: ShipmentRequest): boolean {
  const [parcel, ...more] = shipment.parcels;
  return (
    more.length > 0 ||
    parcel === undefined ||
    parcel.lengthCm === undefined ||
    parcel.widthCm === undefined ||
    parcel.heightCm === undefined ||
    !DOMESTIC.has(shipment.shipper.countryCode) ||
    !DOMESTIC.has(shipment.recipient.countryCode) ||
    !ZIP.test(shipment.shipper.postalCode) ||
    !ZIP.test(shipment.recipient.postalCode)
  );
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const uspsRates: RatesAdapter<unknown> = {
  sources: ['../shared/carrier-specs/usps/domestic-prices.yaml'],
  needsShippingSettings: false,
  supports: (shipment) => !unsupported(shipment),
  build({ shipment }) {
    const parcel = shipment.parcels[0]!;
    // RateListQuery: originZIPCode, destinationZIPCode, weight (pounds), length, width, height
    // (inches: "The maximum dimension is always length") are required.
    const sides = [parcel.lengthCm!, parcel.widthCm!, parcel.heightCm!]
      .map((cm) => round(cm * IN_PER_CM))
      .sort((a, b) => b - a);
    return {
      method: 'POST',
      path: USPS_RATES_PATH,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        originZIPCode: shipment.shipper.postalCode.slice(0, 5),
        destinationZIPCode: shipment.recipient.postalCode.slice(0, 5),
        weight: round(parcel.weightKg * LB_PER_KG),
        length: sides[0],
        width: sides[1],
        height: sides[2],
        mailClasses: Object.keys(USPS_MAIL_CLASSES),
        // PriceType: COMMERCIAL, the prices of labels bought through the API.
        priceType: 'COMMERCIAL',
        // MailingDate: "today plus 0 to 7 days".
        mailingDate: uspsMailingDate(shipment.shipper.stateCode, Date.now()),
      }),
    };
  },
  read(body) {
    const options = obj(parseJson(body))?.['rateOptions'];
    if (!Array.isArray(options)) return { kind: 'unreadable' };
    // RateOption: totalBasePrice ("including the rate, fees and pound postage") and its rates
    // (RateDetails.mailClass); the lowest per mail class is the one a checkout offers.
    const lowest = new Map<string, number>();
    for (const option of array(options).flatMap((entry): Json[] => (obj(entry) ? [obj(entry)!] : []))) {
      const mailClass = obj(array(option['rates'])[0])?.['mailClass'];
      const amount = money(option['totalBasePrice']);
      if (typeof mailClass !== 'string' || amount === undefined) continue;
      const known = lowest.get(mailClass);
      if (known === undefined || amount < known) lowest.set(mailClass, amount);
    }
    const rates: RateQuote[] = [...lowest].map(([mailClass, amount]) => ({
      service: USPS_MAIL_CLASSES[mailClass] ?? mailClass,
      serviceCode: mailClass,
      amount,
      // USPS postage: the spec's prices are in US dollars (RateDetails.price "The postage price").
      currency: 'USD',
    }));
    return { kind: 'rated', rates };
  },
  errorCode(status, body) {
    const error = obj(obj(parseJson(body))?.['error']);
    const item = obj(array(error?.['errors'])[0])?.['code'];
    if (typeof item === 'string') return item;
    return typeof error?.['code'] === 'string'
      ? (error['code'] as string)
      : status >= 400
        ? String(status)
        : undefined;
  },
};
