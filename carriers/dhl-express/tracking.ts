/**
 * @module carriers/dhl-express/tracking
 * MyDHL API tracking as a tracking adapter: `GET /shipments/{shipmentTrackingNumber}/tracking`
 * (operationId exp-api-shipments-tracking, "Track a single DHL Express Shipment") with every
 * checkpoint and each event's GMT offset, its `shipments[0]` read into events and a status.
 * Fields cite ../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml
 * (`supermodelIoLogisticsExpressTrackingResponse`, `components.parameters.<name>`).
 *
 * MyDHL has no shipment-level status code (`shipments[].status` is the look-up's own "Success"):
 * the status is that of the newest event whose code says where the parcel is.
 */
import { parseJson } from '../../src/core/json.js';
import {
  newestFirst,
  statusOf,
  type StatusTable,
  type TrackingAdapter,
  type TrackingEvent,
} from '../../src/core/tracking-adapter.js';
import { DHL_EXPRESS_INTERFACE_VERSION } from './api.js';

export const DHL_EXPRESS_TRACKING_PATH = (shipmentTrackingNumber: string) =>
  `shipments/${encodeURIComponent(shipmentTrackingNumber)}/tracking`;

/**
 * events[].typeCode. Every code and its meaning is in the spec's own reference data (the
 * "Sample Reference Data - tracking event code" example of `GET /reference-data`, dataset
 * `trackingEventCode`: eventTypeCode / eventTypeDescription); the meaning is quoted after each
 * row. The status is the gateway's reading of that meaning. Codes that say nothing about where
 * the parcel is (an image, a payment, a trace) are `unknown` and never decide the status.
 */
export const DHL_EXPRESS_EVENT_CODES: StatusTable = {
  name: 'MyDHL events[].typeCode',
  source:
    '../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml reference data trackingEventCode (GET /reference-data example)',
  codes: {
    DUMMY_PU: 'pre_transit', // Shipment information received
    PU: 'in_transit', // Shipment pick up
    SA: 'in_transit', // Shipment acceptance
    AF: 'in_transit', // Arrived facility
    AR: 'in_transit', // Arrival in delivery facility
    CI: 'in_transit', // Facility check-in
    DF: 'in_transit', // Depart facility
    PL: 'in_transit', // Processed at location
    TR: 'in_transit', // Record of transfer
    CU: 'in_transit', // Confirm uplift
    LV: 'in_transit', // Load vehicle
    UV: 'in_transit', // Unload vehicle
    SM: 'in_transit', // Scheduled movement
    RW: 'in_transit', // Weigh & dimension
    HN: 'in_transit', // Handover
    FD: 'in_transit', // Forward destination (DD's expected)
    AD: 'in_transit', // Agreed delivery
    BN: 'in_transit', // Customer broker notified
    BR: 'in_transit', // Broker release
    CR: 'in_transit', // Clearance release
    DI: 'in_transit', // Duty invoice
    ES: 'in_transit', // Entry submitted
    IC: 'in_transit', // In clearance processing
    RR: 'in_transit', // Response received
    SI: 'in_transit', // Shipment inspection
    BL: 'in_transit', // Bond location
    HI: 'in_transit', // Lodged into hic
    HO: 'in_transit', // Lodged out of held inventory control
    PD: 'in_transit', // Partial delivery: some pieces are still on their way
    WC: 'out_for_delivery', // With delivering courier
    CC: 'available_for_pickup', // Awaiting cnee collection
    OK: 'delivered', // Delivery
    DD: 'delivered', // Delivered damaged
    RT: 'returned', // Returned to consignor
    BA: 'exception', // Bad address
    CA: 'exception', // Closed on arrival
    CD: 'exception', // Controllable clearance delay
    UD: 'exception', // Uncontrollable clearance delay
    CM: 'exception', // Customer moved
    DM: 'exception', // Damaged
    DP: 'exception', // Denied parties
    DS: 'exception', // Destroyed / disposal
    HP: 'exception', // Held for payment
    IR: 'exception', // Incorrect route
    MC: 'exception', // Miscode
    MD: 'exception', // Missed delivery cycle
    MS: 'exception', // Mis-sort
    NA: 'exception', // Not arrived
    ND: 'exception', // Not delivered
    NH: 'exception', // Not home
    OH: 'exception', // On hold
    RD: 'exception', // Refused delivery
    SS: 'exception', // Shipment stopped
    ST: 'exception', // Shipment intercept
    TD: 'exception', // Transport delay
    TP: 'exception', // Forwarded to 3rd party - no DD's
    CS: 'unknown', // Closed shipment
    IA: 'unknown', // Image available
    PY: 'unknown', // Payment
    SC: 'unknown', // Service changed
    TI: 'unknown', // Trace initiated
    TT: 'unknown', // Trace terminated
  },
  unverified: [],
};

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const objects = (value: unknown): Json[] =>
  (Array.isArray(value) ? value : []).flatMap((entry): Json[] => {
    const found = obj(entry);
    return found ? [found] : [];
  });
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2})?$/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

/** events[]: date '2020-06-10', time '13:06:00', GMTOffset '+09:00' (asked for with requestGMTOffsetPerEvent). */
function eventTime(event: Json): string | undefined {
  const date = text(event['date']);
  const time = text(event['time']);
  if (date === undefined || !DATE.test(date)) return undefined;
  const offset = text(event['GMTOffset']);
  const clock = time !== undefined && TIME.test(time) ? time : '00:00:00';
  return `${date}T${clock}${offset !== undefined && OFFSET.test(offset) ? offset : ''}`;
}

/** events[].serviceArea[0].description, e.g. "SYDNEY-AU". */
const place = (event: Json) => text(objects(event['serviceArea'])[0]?.['description']);

function event(raw: Json): TrackingEvent | undefined {
  const at = eventTime(raw);
  const code = text(raw['typeCode']);
  if (at === undefined || code === undefined) return undefined;
  const where = place(raw);
  return {
    at,
    status: statusOf(DHL_EXPRESS_EVENT_CODES, code),
    description: text(raw['description']) ?? '',
    ...(where !== undefined ? { location: where } : {}),
    carrierCode: code,
  };
}

export const dhlExpressTracking: TrackingAdapter = {
  sources: ['../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml'],
  statusTables: [DHL_EXPRESS_EVENT_CODES],
  build(trackingNumber) {
    // trackingView all-checkpoints and levelOfDetail shipment are the defaults, sent to be explicit;
    // requestGMTOffsetPerEvent "to return GMT Offset of each event" makes each event's time absolute.
    const query = new URLSearchParams({
      trackingView: 'all-checkpoints',
      levelOfDetail: 'shipment',
      requestGMTOffsetPerEvent: 'true',
    });
    return {
      method: 'GET',
      path: `${DHL_EXPRESS_TRACKING_PATH(trackingNumber)}?${query.toString()}`,
      // xVersionHeader: required on every operation.
      headers: { accept: 'application/json', 'x-version': DHL_EXPRESS_INTERFACE_VERSION },
    };
  },
  read(status, body, trackingNumber) {
    const parsed = obj(parseJson(body));
    // 404 "No data found" (supermodelIoLogisticsExpressErrorResponse, status '404').
    if (status === 404) {
      return parsed !== undefined && text(parsed['detail']) !== undefined
        ? { kind: 'not_found', carrierCode: text(parsed['status']) ?? '404' }
        : { kind: 'unreadable' };
    }
    const shipment = objects(parsed?.['shipments'])[0];
    if (!shipment || !Array.isArray(shipment['events'])) return { kind: 'unreadable' };
    const events = newestFirst(objects(shipment['events']).flatMap((raw) => event(raw) ?? []));
    const latest = events.find((each) => each.status !== 'unknown');
    // events[].signedBy on the delivery event; "may be intentionally left empty" (GDPR).
    const signedBy = objects(shipment['events'])
      .map((raw) => text(raw['signedBy']))
      .findLast((name) => name !== undefined);
    const estimate = text(shipment['estimatedDeliveryDate']);
    return {
      kind: 'tracked',
      result: {
        trackingNumber: text(shipment['shipmentTrackingNumber']) ?? trackingNumber,
        status: latest?.status ?? 'unknown',
        events,
        ...(estimate !== undefined ? { estimatedDelivery: estimate } : {}),
        ...(signedBy !== undefined ? { signedBy } : {}),
      },
    };
  },
  errorCode(status, body) {
    // supermodelIoLogisticsExpressErrorResponse: instance, title, status (a string), detail.
    const code = obj(parseJson(body))?.['status'];
    return typeof code === 'string' ? code : status >= 400 ? String(status) : undefined;
  },
};
