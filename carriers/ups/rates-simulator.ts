/**
 * @module carriers/ups/rates-simulator
 * The UPS simulator's Rating API: `POST /api/rating/{version}/{Rate|Shop}` answered in the
 * `RATEResponseWrapper` shape of ../shared/carrier-specs/ups/Rating.yaml, with made-up prices
 * (src/sim/prices.ts). Its latency and faults are the kit's `ratesLatencyMs` and `ratesFault`.
 */
import {
  businessDaysAfter,
  json,
  jsonOf,
  simPrice,
  type ReadDefinition,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../../src/sim/index.js';
import { UPS_SERVICE_NAMES } from './rates.js';

/** Rating.yaml: `/rating/{version}/{requestoption}` under the `/api` servers. */
export const UPS_RATE_PATH_PATTERN =
  /^\/api\/rating\/(v\d+)\/(Rate|Shop|Ratetimeintransit|Shoptimeintransit)$/i;

/** Rating.yaml ErrorResponse: `{ response: { errors: [{ code, message }] } }`. */
const upsError = (status: number, code: string, message: string): SimResponse =>
  json(status, { response: { errors: [{ code, message }] } });

/**
 * The UPS common codes the label simulator also uses: 20007 "Missing Required field" and 20001
 * "General process failure" (developer.ups.com "Common Error Codes"; the HTTP statuses are UNVERIFIED).
 */
const missingField = (field: string) => upsError(400, '20007', `Missing Required field, ${field}.`);

const service = (code: string, base: number, perKg: number, days: number): SimService => ({
  code,
  name: UPS_SERVICE_NAMES[code] ?? code,
  base,
  perKg,
  days,
});

/** Shipment_Service.Code "Valid domestic values" (US) and "Valid international values". */
const DOMESTIC_US = [
  service('03', 9.5, 1.1, 4),
  service('12', 18, 1.6, 3),
  service('02', 24, 2.2, 2),
  service('01', 39, 3.4, 1),
];
const INTERNATIONAL = [
  service('11', 21, 2.4, 5),
  service('08', 48, 4.5, 4),
  service('65', 62, 5.1, 3),
  service('07', 79, 6.3, 2),
];

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

const KG_PER_LB = 0.45359237;

function weightKg(pkg: Json): number | undefined {
  const weight = obj(pkg['PackageWeight']);
  const value = Number(weight?.['Weight']);
  if (!Number.isFinite(value) || value <= 0) return undefined;
  const unit = obj(weight?.['UnitOfMeasurement'])?.['Code'];
  return unit === 'LBS' ? value * KG_PER_LB : unit === 'OZS' ? (value / 16) * KG_PER_LB : value;
}

const country = (party: unknown) => obj(obj(party)?.['Address'])?.['CountryCode'];

/** RateRequest: Request (RequestOption) and Shipment (Shipper, ShipTo, Package) are required. */
export function upsRate(req: SimRequest, now: number): SimResponse {
  const request = obj(obj(jsonOf(req))?.['RateRequest']);
  if (!request) return missingField('RateRequest');
  if (!obj(request['Request'])) return missingField('RateRequest/Request');
  const shipment = obj(request['Shipment']);
  if (!shipment) return missingField('RateRequest/Shipment');
  const from = country(shipment['Shipper']);
  const to = country(shipment['ShipTo']);
  if (typeof from !== 'string') return missingField('RateRequest/Shipment/Shipper/Address/CountryCode');
  if (typeof to !== 'string') return missingField('RateRequest/Shipment/ShipTo/Address/CountryCode');
  const packages = list(shipment['Package']).map(obj);
  if (packages.length === 0) return missingField('RateRequest/Shipment/Package');
  let total = 0;
  for (const pkg of packages) {
    const kg = pkg ? weightKg(pkg) : undefined;
    if (kg === undefined) return missingField('RateRequest/Shipment/Package/PackageWeight');
    total += kg;
  }
  const services = from === 'US' && to === 'US' ? DOMESTIC_US : INTERNATIONAL;
  const currency = from === 'US' ? 'USD' : 'EUR';
  const money = (value: number) => ({ CurrencyCode: currency, MonetaryValue: value.toFixed(2) });
  const zero = money(0);
  const billing = { UnitOfMeasurement: { Code: 'KGS', Description: 'Kilograms' }, Weight: total.toFixed(1) };
  // RateResponse_RatedShipment: BillingWeight, TotalCharges, ServiceOptionsCharges, Service,
  // TransportationCharges and RatedPackage are required; RatedShipment is an array from v2409 on.
  const rated = services.map((svc) => {
    const price = simPrice(svc, total);
    return {
      Service: { Code: svc.code, Description: '' },
      BillingWeight: billing,
      TransportationCharges: money(price),
      ServiceOptionsCharges: zero,
      TotalCharges: money(price),
      GuaranteedDelivery: { BusinessDaysInTransit: String(svc.days) },
      TimeInTransit: {
        PickupDate: businessDaysAfter(now, 0).replaceAll('-', ''),
        ServiceSummary: {
          Service: { Description: svc.name },
          EstimatedArrival: {
            Arrival: { Date: businessDaysAfter(now, svc.days).replaceAll('-', ''), Time: '230000' },
            Pickup: { Date: businessDaysAfter(now, 0).replaceAll('-', '') },
            BusinessDaysInTransit: String(svc.days),
            DayOfWeek: 'MON',
          },
        },
      },
      RatedPackage: packages.map(() => ({ TransportationCharges: money(price / packages.length) })),
    };
  });
  return json(200, {
    RateResponse: {
      Response: { ResponseStatus: { Code: '1', Description: 'Success' } },
      RatedShipment: rated,
    },
  });
}

/** The rate API for the kit's read faults: 20001 is UPS's transient "General process failure". */
export const UPS_RATES_READ: ReadDefinition = {
  matches: (req) => req.method === 'POST' && UPS_RATE_PATH_PATTERN.test(req.path),
  serverError: () => upsError(503, '20001', 'General process failure'),
  badRequest: () => missingField('RateRequest/Shipment/ShipTo/Address'),
};
