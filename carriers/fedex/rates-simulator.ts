/**
 * @module carriers/fedex/rates-simulator
 * The FedEx simulator's Rate API: `POST /rate/v1/rates/quotes` answered in the `RatcResponseVO`
 * shape of ../shared/carrier-specs/fedex/RateQuotes-Resource.json, with made-up prices
 * (src/sim/prices.ts). Its latency and faults are the kit's `ratesLatencyMs` and `ratesFault`.
 */
import { randomUUID } from 'node:crypto';

import {
  businessDaysAfter,
  header,
  json,
  jsonOf,
  simPrice,
  type ReadDefinition,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../../src/sim/index.js';

export const FEDEX_RATE_SIM_PATH = '/rate/v1/rates/quotes';

/** ErrorResponseVO: transactionId and errors[{ code, message }] (CXSError). */
/** transactionId, and customerTransactionId echoed "to match the request to the reply". */
const envelope = (req?: SimRequest) => {
  const customer = req ? header(req, 'x-customer-transaction-id') : undefined;
  return { transactionId: randomUUID(), ...(customer ? { customerTransactionId: customer } : {}) };
};

const fedexError = (status: number, code: string, message: string, req?: SimRequest): SimResponse =>
  json(status, { ...envelope(req), errors: [{ code, message }] });

/**
 * The 400 example of the quotes operation answers a bad request with "BAD.REQUEST.ERROR"-style
 * codes; the exact code for a missing field is UNVERIFIED (the one below is the generic one).
 */
const badRequest = (what: string) =>
  fedexError(
    400,
    'BAD.REQUEST.ERROR',
    `The given JSON is invalid: ${what}. Please modify your request and try again.`,
  );

/**
 * RateReplyDetail.serviceType / serviceName as the spec's examples name them (FEDEX_GROUND
 * "FedEx Ground", PRIORITY_OVERNIGHT, STANDARD_OVERNIGHT, FEDEX_2_DAY, INTERNATIONAL_*).
 */
const svc = (code: string, name: string, base: number, perKg: number, days: number): SimService => ({
  code,
  name,
  base,
  perKg,
  days,
});
const DOMESTIC_US = [
  svc('FEDEX_GROUND', 'FedEx Ground', 9.9, 1.05, 4),
  svc('FEDEX_2_DAY', 'FedEx 2Day', 23.5, 2.1, 2),
  svc('STANDARD_OVERNIGHT', 'FedEx Standard Overnight', 36, 3.1, 1),
  svc('PRIORITY_OVERNIGHT', 'FedEx Priority Overnight', 42, 3.5, 1),
];
const INTERNATIONAL = [
  svc('INTERNATIONAL_ECONOMY', 'FedEx International Economy', 45, 4.2, 5),
  svc('INTERNATIONAL_PRIORITY', 'FedEx International Priority', 71, 5.9, 3),
];
const DAY_WORDS = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE', 'TEN'];
/** CommitDetail_1.daysInTransit enum: ONE_DAY, TWO_DAYS, ... */
const daysWord = (days: number) => (days === 1 ? 'ONE_DAY' : `${DAY_WORDS[days] ?? 'TEN'}_DAYS`);

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

const LB_TO_KG = 0.45359237;

/** Full_Schema_Quote_Rate: accountNumber and requestedShipment (shipper, recipient, pickupType, line items). */
export function fedexRate(req: SimRequest, now: number): SimResponse {
  const body = obj(jsonOf(req));
  if (!body) return badRequest('body');
  if (typeof obj(body['accountNumber'])?.['value'] !== 'string') return badRequest('accountNumber');
  const shipment = obj(body['requestedShipment']);
  if (!shipment) return badRequest('requestedShipment');
  const from = obj(obj(shipment['shipper'])?.['address'])?.['countryCode'];
  const to = obj(obj(shipment['recipient'])?.['address'])?.['countryCode'];
  if (typeof from !== 'string' || typeof to !== 'string')
    return badRequest('shipper or recipient countryCode');
  if (typeof shipment['pickupType'] !== 'string') return badRequest('pickupType');
  const items = shipment['requestedPackageLineItems'];
  if (!Array.isArray(items) || items.length === 0) return badRequest('requestedPackageLineItems');
  let total = 0;
  for (const item of items) {
    const weight = obj(obj(item)?.['weight']);
    const value = Number(weight?.['value']);
    if (!Number.isFinite(value) || value <= 0) return badRequest('requestedPackageLineItems.weight');
    total += weight?.['units'] === 'LB' ? value * LB_TO_KG : value;
  }
  const currency = from === 'US' ? 'USD' : 'EUR';
  const services = from === 'US' && to === 'US' ? DOMESTIC_US : INTERNATIONAL;
  const detail = (rateType: string, amount: number) => ({
    rateType,
    ratedWeightMethod: 'ACTUAL',
    totalBaseCharge: amount,
    totalNetCharge: amount,
    totalNetFedExCharge: amount,
    currency,
    shipmentRateDetail: { rateZone: '2', totalBillingWeight: { units: 'KG', value: total }, currency },
  });
  // RateOutputVO.rateReplyDetails: one RateReplyDetail per service.
  const rateReplyDetails = services.map((service) => {
    const list = simPrice(service, total);
    const delivery = businessDaysAfter(now, service.days);
    return {
      serviceType: service.code,
      serviceName: service.name,
      packagingType: 'YOUR_PACKAGING',
      ratedShipmentDetails: [detail('ACCOUNT', Math.round(list * 90) / 100), detail('LIST', list)],
      operationalDetail: { transitTime: daysWord(service.days), deliveryDate: `${delivery}T20:00:00` },
      commit: { daysInTransit: daysWord(service.days), dateDetail: { dayFormat: `${delivery}T20:00:00` } },
    };
  });
  return json(200, {
    ...envelope(req),
    output: { rateReplyDetails, quoteDate: businessDaysAfter(now, 0), isEncoded: false },
  });
}

/** The rate API for the kit's read faults: 503 with the SERVICE.UNAVAILABLE.ERROR of ErrorResponseVO503's example. */
export const FEDEX_RATES_READ: ReadDefinition = {
  matches: (req) => req.method === 'POST' && req.path === FEDEX_RATE_SIM_PATH,
  serverError: () =>
    fedexError(
      503,
      'SERVICE.UNAVAILABLE.ERROR',
      'The service is currently unavailable and we are working to resolve the issue.',
    ),
  badRequest: () => badRequest('requestedShipment'),
};
