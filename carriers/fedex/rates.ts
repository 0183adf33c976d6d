/**
 * @module carriers/fedex/rates
 * FedEx Rate Quotes as a rates adapter: one `POST /rate/v1/rates/quotes` without a serviceType
 * ("The results will be filtered by the serviceType value indicated": none given, every service
 * comes back), and each `rateReplyDetails` entry becomes one price. Every field cites
 * ../shared/carrier-specs/fedex/RateQuotes-Resource.json (`components.schemas.<name>`, the
 * request body is `Full_Schema_Quote_Rate`) unless another source is named.
 */
import type { Parcel, Party, ShipmentRequest } from '../../src/core/shipment.js';
import {
  isoDate,
  money,
  transitDays,
  type RateQuote,
  type RatesAdapter,
} from '../../src/core/rates-adapter.js';
import { parseJson } from '../../src/core/json.js';
import type { FedexShippingSettings } from './shipping.js';

/** `POST /rate/v1/rates/quotes` ("Rate and Transit times"); the servers are `/`. */
export const FEDEX_RATE_PATH = 'rate/v1/rates/quotes';

/** Weight_1_2.units enum KG, LB; Dimensions units "IN - Inches", "CM - Centimeters". */
const IMPERIAL = new Set(['US', 'PR']);
const LB_PER_KG = 2.20462262;
const CM_PER_IN = 2.54;
const ceilTenth = (value: number) => Math.ceil(Number((value * 10).toFixed(6))) / 10;
const ceilWhole = (value: number) => Math.ceil(Number(value.toFixed(6)));

/** Address_2: stateOrProvinceCode "Max length is 2", postalCode "Maximum length is 10". */
function address(party: Party) {
  return {
    address: {
      streetLines: party.street,
      city: party.city,
      ...(party.stateCode !== undefined && party.stateCode.length === 2
        ? { stateOrProvinceCode: party.stateCode }
        : {}),
      postalCode: party.postalCode,
      countryCode: party.countryCode,
    },
  };
}

/**
 * RequestedPackageLineItem (weight required: Weight_2 units and value); Dimensions "optional but
 * when added, then all three dimensions must be indicated", whole numbers up to 999.
 */
function lineItem(parcel: Parcel, imperial: boolean) {
  const { lengthCm, widthCm, heightCm } = parcel;
  const length = (cm: number) => Math.min(999, ceilWhole(imperial ? cm / CM_PER_IN : cm));
  return {
    weight: imperial
      ? { units: 'LB', value: ceilTenth(parcel.weightKg * LB_PER_KG) }
      : { units: 'KG', value: ceilTenth(parcel.weightKg) },
    ...(lengthCm !== undefined && widthCm !== undefined && heightCm !== undefined
      ? {
          dimensions: {
            length: length(lengthCm),
            width: length(widthCm),
            height: length(heightCm),
            units: imperial ? 'IN' : 'CM',
          },
        }
      : {}),
  };
}

function quoteRequest(shipment: ShipmentRequest, settings: FedexShippingSettings) {
  const imperial = IMPERIAL.has(shipment.shipper.countryCode);
  return {
    // Full_Schema_Quote_Rate: accountNumber and requestedShipment are required.
    accountNumber: { value: settings.accountNumber },
    // RateRequestControlParameters.returnTransitTimes: "transit time and commit data".
    rateRequestControlParameters: { returnTransitTimes: true },
    requestedShipment: {
      // RequestedShipment: pickupType, recipient, requestedPackageLineItems, shipper required.
      shipper: address(shipment.shipper),
      recipient: address(shipment.recipient),
      pickupType: settings.pickupType,
      // rateRequestType: "ACCOUNT - Returns account specific rates (Default)", LIST the published ones.
      rateRequestType: ['ACCOUNT', 'LIST'],
      requestedPackageLineItems: shipment.parcels.map((parcel) => lineItem(parcel, imperial)),
    },
  };
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** RatedShipmentDetail.rateType: the account's own price first, the published (LIST) one otherwise. */
function chosenDetail(details: Json[]): Json | undefined {
  return (
    details.find((detail) => detail['rateType'] === 'ACCOUNT') ??
    details.find((detail) => detail['rateType'] !== 'LIST') ??
    details[0]
  );
}

function quote(reply: Json): RateQuote | undefined {
  const serviceType = reply['serviceType'];
  if (typeof serviceType !== 'string') return undefined;
  const detail = chosenDetail(
    array(reply['ratedShipmentDetails']).flatMap((entry): Json[] => {
      const detail = obj(entry);
      return detail ? [detail] : [];
    }),
  );
  // RatedShipmentDetail.totalNetCharge "net charges for the shipment"; the currency sits on the
  // detail in FedEx's answers and on ShipmentRateDetail.currency in the schema.
  const amount = money(detail?.['totalNetCharge']);
  const currency = detail?.['currency'] ?? obj(detail?.['shipmentRateDetail'])?.['currency'];
  if (amount === undefined || typeof currency !== 'string') return undefined;
  const commit = obj(reply['commit']);
  const operational = obj(reply['operationalDetail']);
  // CommitDetail_1.daysInTransit ("EIGHTEEN_DAYS"...), or OperationalDetail.transitTime ("THREE_DAYS").
  const days = transitDays(commit?.['daysInTransit'] ?? operational?.['transitTime']);
  // DateDetail.dayFormat "[YYYY-MM-DDTHH:mm:ss]", or OperationalDetail.deliveryDate.
  const date = isoDate(obj(commit?.['dateDetail'])?.['dayFormat'] ?? operational?.['deliveryDate']);
  const name = reply['serviceName'];
  return {
    // RateReplyDetail.serviceName "Example: FedEx Ground"; serviceType is the code.
    service: typeof name === 'string' && name !== '' ? name : serviceType,
    serviceCode: serviceType,
    amount,
    currency,
    ...(days !== undefined ? { estimatedDays: days } : {}),
    ...(date !== undefined ? { deliveryDate: date } : {}),
  };
}

export const fedexRates: RatesAdapter<FedexShippingSettings> = {
  sources: ['../shared/carrier-specs/fedex/RateQuotes-Resource.json'],
  needsShippingSettings: true,
  build({ shipment, settings }) {
    return {
      method: 'POST',
      path: FEDEX_RATE_PATH,
      headers: { 'content-type': 'application/json', 'x-locale': 'en_US' },
      body: JSON.stringify(quoteRequest(shipment, settings)),
    };
  },
  read(body) {
    // RatcResponseVO.output (RateOutputVO).rateReplyDetails.
    const output = obj(obj(parseJson(body))?.['output']);
    if (!output) return { kind: 'unreadable' };
    const rates = array(output['rateReplyDetails'])
      .map((reply) => (obj(reply) ? quote(obj(reply)!) : undefined))
      .filter((rate): rate is RateQuote => rate !== undefined);
    return { kind: 'rated', rates };
  },
  errorCode(_status, body) {
    // ErrorResponseVO.errors[] (CXSError.code, e.g. "ACCOUNT.NUMBER.MISMATCH").
    const code = obj(array(obj(parseJson(body))?.['errors'])[0])?.['code'];
    return typeof code === 'string' ? code : undefined;
  },
};
