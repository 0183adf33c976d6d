/**
 * @module carriers/usps/reads-simulator
 * The USPS simulator's Domestic Prices and Tracking v3 answers, in the shapes of
 * ../shared/carrier-specs/usps/domestic-prices.yaml (BaseRatesQueryResult) and tracking.yaml
 * (TrackingDetails), with made-up prices and journeys (src/sim/prices.ts, src/sim/journey.ts).
 * Latency and faults: the kit's rates and tracking knobs. Codes as carriers/usps/tracking.ts.
 */
import {
  journey,
  json,
  jsonOf,
  simPrice,
  stageOf,
  type JourneyStep,
  type ReadDefinition,
  type SimRequest,
  type SimResponse,
  type SimService,
  type TrackingStage,
} from '../../src/sim/index.js';

export const USPS_RATES_SIM_PATH = '/prices/v3/base-rates-list/search';
export const USPS_TRACK_SIM_PATTERN = /^\/tracking\/v3\/tracking\/([^/]+)$/;

/** ErrorMessage: { apiVersion, error: { code, message, errors[] } }; the wording is UNVERIFIED. */
const uspsError = (status: number, apiVersion: string, code: string, detail: string): SimResponse =>
  json(status, {
    apiVersion,
    error: { code: String(status), message: detail, errors: [{ status: String(status), code, detail }] },
  });

const service = (code: string, base: number, perKg: number): SimService => ({
  code,
  name: code,
  base,
  perKg,
  days: 0,
});
const MAIL_CLASSES = [
  service('USPS_GROUND_ADVANTAGE', 5.2, 0.9),
  service('PRIORITY_MAIL', 8.7, 1.4),
  service('PRIORITY_MAIL_EXPRESS', 28.75, 2.6),
];
const KG_PER_LB = 0.45359237;

type Json = Record<string, unknown>;

/** RateListQuery: originZIPCode, destinationZIPCode, weight, length, width, height are required. */
export function uspsRates(req: SimRequest): SimResponse {
  const body = jsonOf(req) as Json | undefined;
  const missing = ['originZIPCode', 'destinationZIPCode', 'weight', 'length', 'width', 'height'].find(
    (field) => body?.[field] === undefined,
  );
  if (missing !== undefined)
    return uspsError(400, '/prices/v3/', 'invalid_request', `${missing} is required.`);
  const weightKg = Number(body!['weight']) * KG_PER_LB;
  const asked = Array.isArray(body!['mailClasses'])
    ? (body!['mailClasses'] as unknown[])
    : MAIL_CLASSES.map((m) => m.code);
  const rateOptions = MAIL_CLASSES.filter((mailClass) => asked.includes(mailClass.code)).flatMap(
    (mailClass) => {
      const price = simPrice(mailClass, weightKg);
      // Two options per class, as the spec's example lists several rate indicators for one class.
      return [price, Math.round(price * 115) / 100].map((total, index) => ({
        rates: [
          {
            mailClass: mailClass.code,
            priceType: 'COMMERCIAL',
            rateIndicator: index === 0 ? 'SP' : 'DE',
            processingCategory: 'MACHINABLE',
            zone: '05',
            price: total,
            weight: Number(body!['weight']),
            dimWeight: 0,
            fees: [],
            SKU: `DVXP0XXUXC${String(index).padStart(5, '0')}`,
            description: `${mailClass.code} Single-piece`,
          },
        ],
        totalBasePrice: total,
      }));
    },
  );
  return json(200, { rateOptions });
}

const EVENTS: Record<JourneyStep['stage'], { code: string; type: string; category: string }> = {
  pre_transit: { code: 'MA', type: 'Shipping Label Created, USPS Awaiting Item', category: 'Pre-Shipment' },
  picked_up: { code: '03', type: 'USPS picked up item', category: 'Accepted' },
  in_transit: { code: '10', type: 'Arrived at USPS Regional Facility', category: 'In Transit' },
  out_for_delivery: { code: 'OF', type: 'Out for Delivery', category: 'Out for Delivery' },
  delivered: { code: '01', type: 'Delivered, In/At Mailbox', category: 'Delivered' },
  available_for_pickup: { code: '16', type: 'Available for Pickup', category: 'Available for Pickup' },
  returned: { code: '09', type: 'Return to Sender', category: 'Return to Sender' },
  exception: { code: '21', type: 'No Access to Delivery Location', category: 'Alert' },
};

/** TrackingDetails with trackingEvents "in reverse chronological order". */
export function uspsTrack(req: SimRequest, now: number, forced: TrackingStage | null): SimResponse {
  const trackingNumber = decodeURIComponent(USPS_TRACK_SIM_PATTERN.exec(req.path)?.[1] ?? '');
  if (trackingNumber.endsWith('404'))
    return uspsError(404, '/tracking/v3/', 'not_found', 'Tracking number not found.');
  const stage = stageOf(trackingNumber, forced);
  const steps = journey(stage, now);
  const last = steps[steps.length - 1]!;
  const delivered = stage === 'delivered';
  return json(200, {
    trackingNumber,
    mailClass: 'USPS_GROUND_ADVANTAGE',
    statusCategory: EVENTS[last.stage].category,
    status: EVENTS[last.stage].type,
    ...(delivered ? {} : { expectedDeliveryTimeStamp: new Date(now + 86_400_000).toISOString() }),
    trackingEvents: steps
      .map((step) => ({
        eventType: EVENTS[step.stage].type,
        eventTimestamp: new Date(step.at).toISOString(),
        eventCity: step.city,
        eventCountry: step.countryCode,
        eventCode: EVENTS[step.stage].code,
        ...(step.stage === 'delivered' ? { name: 'A BUYER' } : {}),
      }))
      .reverse(),
  });
}

export const USPS_RATES_READ: ReadDefinition = {
  matches: (req) => req.method === 'POST' && req.path === USPS_RATES_SIM_PATH,
  serverError: () => uspsError(503, '/prices/v3/', 'service_unavailable', 'Service Unavailable.'),
  badRequest: () => uspsError(400, '/prices/v3/', 'invalid_request', 'destinationZIPCode is invalid.'),
};

export const USPS_TRACKING_READ: ReadDefinition = {
  matches: (req) => req.method === 'GET' && USPS_TRACK_SIM_PATTERN.test(req.path),
  serverError: () => uspsError(503, '/tracking/v3/', 'service_unavailable', 'Service Unavailable.'),
  badRequest: () => uspsError(400, '/tracking/v3/', 'invalid_request', 'trackingNumber is invalid.'),
};
