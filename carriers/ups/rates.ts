/**
 * @module carriers/ups/rates
 * UPS Rating as a rates adapter: one `POST /api/rating/v2409/Shop` asks for every UPS product
 * between the two addresses, and each `RatedShipment` becomes one price. Every field cites
 * ../shared/carrier-specs/ups/Rating.yaml (`components.schemas.<name>`) unless another source is
 * named. The account's shipping settings (the shipper number) are the same as for labels.
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
import type { UpsShippingSettings } from './shipping.js';

/**
 * `/rating/{version}/{requestoption}`: version "Valid values: v2409"; requestoption "Shop = The
 * server validates the shipment, and returns rates for all UPS products". The servers carry `/api`.
 */
export const UPS_RATE_PATH = 'api/rating/v2409/Shop';

/**
 * Shipment_Service.Code "Valid domestic values" and "Valid international values", with the names
 * the same description gives them.
 */
export const UPS_SERVICE_NAMES: Readonly<Record<string, string>> = {
  '01': 'UPS Next Day Air',
  '02': 'UPS 2nd Day Air',
  '03': 'UPS Ground',
  '12': 'UPS 3 Day Select',
  '13': 'UPS Next Day Air Saver',
  '14': 'UPS Next Day Air Early',
  '59': 'UPS 2nd Day Air A.M.',
  '75': 'UPS Heavy Goods',
  '07': 'UPS Worldwide Express',
  '08': 'UPS Worldwide Expedited',
  '11': 'UPS Standard',
  '54': 'UPS Worldwide Express Plus',
  '65': 'UPS Saver',
  '96': 'UPS Worldwide Express Freight',
  '71': 'UPS Worldwide Express Freight Midday',
};

/** Where imperial units apply, as for labels (carriers/ups/shipping.ts, US_MARKETS: UNVERIFIED beyond the US). */
const US_MARKETS = new Set(['US', 'PR']);
const KG_PER_LB = 0.45359237;
const CM_PER_IN = 2.54;
/** Shipment_Shipper.Name / Shipment_ShipTo.Name: maxLength 35. */
const NAME_MAX = 35;
/** Package_PackageWeight.Weight: maxLength 6. */
const WEIGHT_MAX = 6;

const ceilTenth = (value: number) => Math.ceil(Number((value * 10).toFixed(6))) / 10;
const ceilWhole = (value: number) => Math.ceil(Number(value.toFixed(6)));

function weightText(value: number): string {
  const tenth = ceilTenth(value);
  const text = Number.isInteger(tenth) ? String(tenth) : tenth.toFixed(1);
  return text.length <= WEIGHT_MAX ? text : String(ceilWhole(value));
}

/** Shipper_Address / ShipTo_Address: CountryCode and AddressLine required; StateProvinceCode maxLength 2. */
function address(party: Party) {
  return {
    AddressLine: party.street,
    City: party.city,
    ...(party.stateCode !== undefined && party.stateCode.length === 2
      ? { StateProvinceCode: party.stateCode }
      : {}),
    PostalCode: party.postalCode,
    CountryCode: party.countryCode,
  };
}

/**
 * Shipment_Package: PackagingType.Code "02 - Package"; PackageWeight and Dimensions each need a
 * UnitOfMeasurement with Code and Description (PackageWeight_UnitOfMeasurement,
 * Dimensions_UnitOfMeasurement), in the shipper country's units.
 */
function upsPackage(parcel: Parcel, imperial: boolean) {
  const { lengthCm, widthCm, heightCm } = parcel;
  const length = (cm: number) => String(ceilWhole(imperial ? cm / CM_PER_IN : cm));
  return {
    PackagingType: { Code: '02', Description: 'Package' },
    ...(lengthCm !== undefined && widthCm !== undefined && heightCm !== undefined
      ? {
          Dimensions: {
            UnitOfMeasurement: imperial
              ? { Code: 'IN', Description: 'Inches' }
              : { Code: 'CM', Description: 'Centimeters' },
            Length: length(lengthCm),
            Width: length(widthCm),
            Height: length(heightCm),
          },
        }
      : {}),
    PackageWeight: {
      UnitOfMeasurement: imperial
        ? { Code: 'LBS', Description: 'Pounds' }
        : { Code: 'KGS', Description: 'Kilograms' },
      Weight: weightText(imperial ? parcel.weightKg / KG_PER_LB : parcel.weightKg),
    },
  };
}

function rateRequest(shipment: ShipmentRequest, settings: UpsShippingSettings) {
  const imperial = US_MARKETS.has(shipment.shipper.countryCode);
  const name = (party: Party) => (party.company ?? party.name).slice(0, NAME_MAX);
  return {
    RateRequest: {
      // RateRequest_Request: RequestOption is the one required member.
      Request: { RequestOption: 'Shop' },
      Shipment: {
        // Shipment_Shipper.ShipperNumber: "A valid account number is required to receive negotiated rates".
        Shipper: {
          Name: name(shipment.shipper),
          ShipperNumber: settings.shipperNumber,
          Address: address(shipment.shipper),
        },
        ShipTo: { Name: name(shipment.recipient), Address: address(shipment.recipient) },
        ShipFrom: { Name: name(shipment.shipper), Address: address(shipment.shipper) },
        // RateRequest_Shipment.Package: "type: array".
        Package: shipment.parcels.map((parcel) => upsPackage(parcel, imperial)),
      },
    },
  };
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
/** RateResponse.RatedShipment: an array from v2409 on, a single object before ("NOTE" in its description). */
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

function quote(rated: Json): RateQuote | undefined {
  const code = obj(rated['Service'])?.['Code'];
  if (typeof code !== 'string') return undefined;
  // RatedShipment_NegotiatedRateCharges.TotalCharge: the account's own price, where it has one;
  // RatedShipment_TotalCharges (CurrencyCode, MonetaryValue required) otherwise.
  const charge = obj(obj(rated['NegotiatedRateCharges'])?.['TotalCharge']) ?? obj(rated['TotalCharges']);
  const amount = money(charge?.['MonetaryValue']);
  const currency = charge?.['CurrencyCode'];
  if (amount === undefined || typeof currency !== 'string') return undefined;
  const summary = obj(obj(rated['TimeInTransit'])?.['ServiceSummary']);
  const arrival = obj(summary?.['EstimatedArrival']);
  // RatedShipment_GuaranteedDelivery.BusinessDaysInTransit ("3DaySelect = 3"), or the time in
  // transit's ServiceSummary_EstimatedArrival.BusinessDaysInTransit.
  const days = transitDays(
    obj(rated['GuaranteedDelivery'])?.['BusinessDaysInTransit'] ?? arrival?.['BusinessDaysInTransit'],
  );
  // EstimatedArrival_Arrival.Date (YYYYMMDD), or GuaranteedDelivery.ScheduledDeliveryDate.
  const date = isoDate(
    obj(arrival?.['Arrival'])?.['Date'] ?? obj(rated['GuaranteedDelivery'])?.['ScheduledDeliveryDate'],
  );
  const description = obj(rated['Service'])?.['Description'];
  return {
    service:
      UPS_SERVICE_NAMES[code] ??
      (typeof description === 'string' && description !== '' ? description : `UPS ${code}`),
    serviceCode: code,
    amount,
    currency,
    ...(days !== undefined ? { estimatedDays: days } : {}),
    ...(date !== undefined ? { deliveryDate: date } : {}),
  };
}

export const upsRates: RatesAdapter<UpsShippingSettings> = {
  sources: ['../shared/carrier-specs/ups/Rating.yaml'],
  needsShippingSettings: true,
  build({ shipment, settings }) {
    return {
      method: 'POST',
      path: UPS_RATE_PATH,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(rateRequest(shipment, settings)),
    };
  },
  read(body) {
    const response = obj(obj(parseJson(body))?.['RateResponse']);
    if (!response) return { kind: 'unreadable' };
    const rates = list(response['RatedShipment'])
      .map((rated) => (obj(rated) ? quote(obj(rated)!) : undefined))
      .filter((rate): rate is RateQuote => rate !== undefined);
    return { kind: 'rated', rates };
  },
  errorCode(_status, body) {
    // Rating.yaml ErrorResponse: { response: { errors: [{ code, message }] } }.
    const errors = obj(obj(parseJson(body))?.['response'])?.['errors'];
    const code = Array.isArray(errors) ? obj(errors[0])?.['code'] : undefined;
    return typeof code === 'string' ? code : undefined;
  },
};
