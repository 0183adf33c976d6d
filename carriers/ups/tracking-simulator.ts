/**
 * @module carriers/ups/tracking-simulator
 * The UPS simulator's Tracking API: `GET /api/track/v1/details/{inquiryNumber}` answered in the
 * `TrackApiResponse` shape of ../shared/carrier-specs/ups/Tracking.yaml, with a made-up journey
 * (src/sim/journey.ts). Latency and faults: the kit's `trackingLatencyMs`, `trackingFault` and
 * `trackingStage`. The status types and codes are those of carriers/ups/tracking.ts (UNVERIFIED,
 * docs/carriers/unverified.md); `AP` for a parcel at an access point is synthetic.
 */
import {
  header,
  journey,
  json,
  stageOf,
  type JourneyStep,
  type ReadDefinition,
  type SimRequest,
  type SimResponse,
  type TrackingStage,
} from '../../src/sim/index.js';

export const UPS_TRACK_PATH_PATTERN = /^\/api\/track\/v1\/details\/([^/]+)$/;

const upsError = (status: number, code: string, message: string): SimResponse =>
  json(status, { response: { errors: [{ code, message }] } });

/** Synthetic code, as the label simulator's own request-validation failures (UNVERIFIED). */
const badRequest = (message: string) => upsError(400, 'SIM400', message);

const STATUS: Record<JourneyStep['stage'], { type: string; code: string; description: string }> = {
  pre_transit: {
    type: 'M',
    code: 'MP',
    description: 'Shipper created a label, UPS has not received the package yet.',
  },
  picked_up: { type: 'P', code: 'PU', description: 'Pickup Scan' },
  in_transit: { type: 'I', code: 'AR', description: 'Arrived at Facility' },
  out_for_delivery: { type: 'I', code: 'OT', description: 'Out For Delivery Today' },
  delivered: { type: 'D', code: 'KB', description: 'Delivered' },
  available_for_pickup: { type: 'I', code: 'AP', description: 'Delivered to UPS Access Point' },
  returned: { type: 'RS', code: 'RS', description: 'Returned to Sender' },
  exception: { type: 'X', code: 'SR', description: 'Your package was released by the customs agency.' },
};

const compactDate = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const compactTime = (ms: number) => new Date(ms).toISOString().slice(11, 19).replaceAll(':', '');

function activity(step: JourneyStep) {
  const status = STATUS[step.stage];
  // Activity: date YYYYMMDD, time HHMMSS, gmtOffset; Location.address; Status.
  return {
    date: compactDate(step.at),
    time: compactTime(step.at),
    gmtDate: compactDate(step.at),
    gmtTime: compactTime(step.at),
    gmtOffset: '+00:00',
    location: { address: { city: step.city, countryCode: step.countryCode, country: step.countryCode } },
    status: { ...status, simplifiedTextDescription: status.description, statusCode: '003' },
  };
}

/** Tracking.yaml `GET /track/v1/details/{inquiryNumber}`: transId and transactionSrc are required headers. */
export function upsTrack(req: SimRequest, now: number, forced: TrackingStage | null): SimResponse {
  if (!header(req, 'transid') || !header(req, 'transactionsrc')) {
    return badRequest('Missing required header: transId and transactionSrc');
  }
  const inquiryNumber = decodeURIComponent(UPS_TRACK_PATH_PATTERN.exec(req.path)?.[1] ?? '');
  // "Each inquiry number must be between 7 and 34 characters in length."
  if (inquiryNumber.length < 7 || inquiryNumber.length > 34) return badRequest('Invalid inquiry number');
  // Numbers ending in "404": "Tracking number information not found" (404); the code is synthetic.
  if (inquiryNumber.endsWith('404')) return upsError(404, 'SIM404', 'Tracking Information Not Found');
  const stage = stageOf(inquiryNumber, forced);
  const steps = journey(stage, now);
  const last = steps[steps.length - 1]!;
  const delivered = stage === 'delivered';
  return json(200, {
    trackResponse: {
      shipment: [
        {
          inquiryNumber,
          package: [
            {
              trackingNumber: inquiryNumber,
              currentStatus: {
                ...STATUS[last.stage],
                simplifiedTextDescription: STATUS[last.stage].description,
              },
              // "Activities are returned in chronological order, with the most recent activity first."
              activity: steps.map(activity).reverse(),
              // DeliveryDate.type: SDD scheduled, DEL delivered.
              deliveryDate: [
                {
                  type: delivered ? 'DEL' : 'SDD',
                  date: compactDate(delivered ? last.at : now + 86_400_000),
                },
              ],
              ...(delivered
                ? { deliveryInformation: { receivedBy: 'A BUYER', location: 'Front Door' } }
                : {}),
              packageCount: 1,
            },
          ],
        },
      ],
    },
  });
}

/** The tracking API for the kit's read faults: 503 as UPS's 20001 "General process failure". */
export const UPS_TRACKING_READ: ReadDefinition = {
  matches: (req) => req.method === 'GET' && UPS_TRACK_PATH_PATTERN.test(req.path),
  serverError: () => upsError(503, '20001', 'General process failure'),
  badRequest: () => badRequest('Invalid inquiry number'),
};
