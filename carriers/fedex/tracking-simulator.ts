/**
 * @module carriers/fedex/tracking-simulator
 * The FedEx simulator's Track API: `POST /track/v1/trackingnumbers` answered in the
 * `TrackingNumbersResponse` shape of ../shared/carrier-specs/fedex/TrackingNumbers-Resource.json,
 * one made-up journey per number (src/sim/journey.ts). Latency and faults: the kit's
 * `trackingLatencyMs`, `trackingFault` and `trackingStage`. Codes as carriers/fedex/tracking.ts.
 */
import { randomUUID } from 'node:crypto';

import {
  header,
  journey,
  json,
  jsonOf,
  stageOf,
  type JourneyStep,
  type ReadDefinition,
  type SimRequest,
  type SimResponse,
  type TrackingStage,
} from '../../src/sim/index.js';

export const FEDEX_TRACK_SIM_PATH = '/track/v1/trackingnumbers';

/** transactionId, and customerTransactionId echoed "to match the request to the reply". */
const envelope = (req?: SimRequest) => {
  const customer = req ? header(req, 'x-customer-transaction-id') : undefined;
  return { transactionId: randomUUID(), ...(customer ? { customerTransactionId: customer } : {}) };
};

const fedexError = (status: number, code: string, message: string, req?: SimRequest): SimResponse =>
  json(status, { ...envelope(req), errors: [{ code, message }] });

const CODES: Record<JourneyStep['stage'], { code: string; description: string }> = {
  pre_transit: { code: 'OC', description: 'Shipment information sent to FedEx' },
  picked_up: { code: 'PU', description: 'Picked up' },
  in_transit: { code: 'AR', description: 'Arrived at FedEx location' },
  out_for_delivery: { code: 'OD', description: 'On FedEx vehicle for delivery' },
  delivered: { code: 'DL', description: 'Delivered' },
  available_for_pickup: { code: 'HL', description: 'Ready for pickup' },
  returned: { code: 'RS', description: 'Return to shipper' },
  exception: { code: 'DE', description: 'Delivery exception' },
};

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19) + '+00:00';

function trackResult(trackingNumber: string, stage: TrackingStage, now: number) {
  if (trackingNumber.endsWith('404')) {
    return {
      trackingNumberInfo: { trackingNumber },
      // TrackResult.error (CXSError); the code is the one FedEx answers for an unknown number (UNVERIFIED).
      error: { code: 'TRACKING.TRACKINGNUMBER.NOTFOUND', message: 'Tracking number cannot be found.' },
    };
  }
  const steps = journey(stage, now);
  const last = steps[steps.length - 1]!;
  const delivered = stage === 'delivered';
  return {
    trackingNumberInfo: { trackingNumber, carrierCode: 'FDXG' },
    latestStatusDetail: {
      code: CODES[last.stage].code,
      derivedCode: CODES[last.stage].code,
      statusByLocale: CODES[last.stage].description,
      description: CODES[last.stage].description,
      scanLocation: { city: last.city, countryCode: last.countryCode },
    },
    dateAndTimes: [
      {
        type: delivered ? 'ACTUAL_DELIVERY' : 'ESTIMATED_DELIVERY',
        dateTime: iso(delivered ? last.at : now + 86_400_000),
      },
    ],
    ...(delivered ? { deliveryDetails: { signedByName: 'A.BUYER', receivedByName: 'A.BUYER' } } : {}),
    // ScanEvent list, most recent first as FedEx lists them.
    scanEvents: steps
      .map((step) => ({
        date: iso(step.at),
        eventType: CODES[step.stage].code,
        eventDescription: CODES[step.stage].description,
        derivedStatusCode: CODES[step.stage].code,
        derivedStatus: CODES[step.stage].description,
        scanLocation: { city: step.city, countryCode: step.countryCode },
      }))
      .reverse(),
  };
}

type Json = Record<string, unknown>;

/** Full_Schema_Tracking_Numbers: trackingInfo[] (at most 30) of trackingNumberInfo.trackingNumber. */
export function fedexTrack(req: SimRequest, now: number, forced: TrackingStage | null): SimResponse {
  const body = jsonOf(req) as
    { trackingInfo?: { trackingNumberInfo?: { trackingNumber?: unknown } }[] } | undefined;
  const numbers = (Array.isArray(body?.trackingInfo) ? body.trackingInfo : [])
    .map((info) => info?.trackingNumberInfo?.trackingNumber)
    .filter((n): n is string => typeof n === 'string' && n !== '');
  // The documented 400 example of the operation.
  if (numbers.length === 0)
    return fedexError(400, 'TRACKING.TRACKINGNUMBER.EMPTY', 'Please provide tracking number.');
  return json(200, {
    ...envelope(req),
    output: {
      completeTrackResults: numbers.map((trackingNumber): Json => ({
        trackingNumber,
        trackResults: [trackResult(trackingNumber, stageOf(trackingNumber, forced), now)],
      })),
    },
  });
}

export const FEDEX_TRACKING_READ: ReadDefinition = {
  matches: (req) => req.method === 'POST' && req.path === FEDEX_TRACK_SIM_PATH,
  serverError: () =>
    fedexError(
      503,
      'SERVICE.UNAVAILABLE.ERROR',
      'The service is currently unavailable and we are working to resolve the issue.',
    ),
  badRequest: () => fedexError(400, 'TRACKING.TRACKINGNUMBER.EMPTY', 'Please provide tracking number.'),
};
