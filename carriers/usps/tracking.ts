/**
 * @module carriers/usps/tracking
 * USPS Tracking v3 as a tracking adapter: `GET /tracking/v3/tracking/{trackingNumber}?expand=DETAIL`
 * and its `TrackingDetails` (trackingEvents "in reverse chronological order") read into events
 * and a status. Fields cite ../shared/carrier-specs/usps/tracking.yaml.
 *
 * The spec leaves every code to USPS Publication 199 (Appendix G-4, not saved): `statusCategory`
 * and `eventCode` both "Refer to the lookup table". The values below are Pub 199's as connectors
 * use them, all UNVERIFIED (docs/carriers/unverified.md).
 */
import { parseJson } from '../../src/core/json.js';
import {
  newestFirst,
  statusOf,
  type StatusTable,
  type TrackingAdapter,
  type TrackingEvent,
} from '../../src/core/tracking-adapter.js';

/** Servers `https://apis.usps.com/tracking/v3` + `/tracking/{trackingNumber}`. */
export const USPS_TRACK_PATH = 'tracking/v3/tracking/';

/** TrackingDetails.statusCategory. */
export const USPS_STATUS_CATEGORIES: StatusTable = {
  name: 'USPS TrackingDetails.statusCategory',
  source:
    '../shared/carrier-specs/usps/tracking.yaml TrackingDetails.statusCategory (values: Pub 199, not saved)',
  codes: {
    'Pre-Shipment': 'pre_transit',
    Accepted: 'in_transit',
    'In Transit': 'in_transit',
    'Out for Delivery': 'out_for_delivery',
    Delivered: 'delivered',
    'Available for Pickup': 'available_for_pickup',
    Alert: 'exception',
    'Return to Sender': 'returned',
  },
  unverified: [
    'Pre-Shipment',
    'Accepted',
    'In Transit',
    'Out for Delivery',
    'Delivered',
    'Available for Pickup',
    'Alert',
    'Return to Sender',
  ],
};

/** TrackingEvent.eventCode (Pub 199 Appendix G-4). */
export const USPS_EVENT_CODES: StatusTable = {
  name: 'USPS TrackingEvent.eventCode',
  source:
    '../shared/carrier-specs/usps/tracking.yaml TrackingEvent.eventCode (values: Pub 199 G-4, not saved)',
  codes: {
    MA: 'pre_transit',
    '03': 'in_transit',
    '10': 'in_transit',
    '07': 'in_transit',
    OF: 'out_for_delivery',
    '01': 'delivered',
    '16': 'available_for_pickup',
    '09': 'returned',
  },
  unverified: ['MA', '03', '10', '07', 'OF', '01', '16', '09'],
};

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** TrackingEvent: eventTimestamp (date-time), eventCity, eventState, eventZIP, eventCountry, eventCode, name. */
function event(entry: Json): TrackingEvent | undefined {
  const at = text(entry['eventTimestamp']) ?? text(entry['GMTTimestamp']);
  const code = text(entry['eventCode']);
  if (at === undefined) return undefined;
  const parts = [
    text(entry['eventCity']),
    text(entry['eventState']),
    text(entry['eventZIP']),
    text(entry['eventCountry']),
  ];
  const named = parts.filter((part): part is string => part !== undefined);
  return {
    at,
    status: statusOf(USPS_EVENT_CODES, code),
    description: text(entry['eventType']) ?? '',
    ...(named.length > 0 ? { location: named.join(', ') } : {}),
    carrierCode: code ?? '',
  };
}

function errorCode(_status: number, body: string): string | undefined {
  const error = obj(obj(parseJson(body))?.['error']);
  const item = obj(array(error?.['errors'])[0])?.['code'];
  if (typeof item === 'string') return item;
  return typeof error?.['code'] === 'string' ? (error['code'] as string) : undefined;
}

export const uspsTracking: TrackingAdapter = {
  sources: ['../shared/carrier-specs/usps/tracking.yaml'],
  statusTables: [USPS_STATUS_CATEGORIES, USPS_EVENT_CODES],
  build(trackingNumber) {
    return {
      method: 'GET',
      // expand: "SUMMARY" (default) or "DETAIL"; only DETAIL carries trackingEvents.
      path: `${USPS_TRACK_PATH}${encodeURIComponent(trackingNumber)}?expand=DETAIL`,
      headers: { accept: 'application/json' },
    };
  },
  read(status, body, trackingNumber) {
    // 404 "Resource Not Found" (ErrorMessage).
    if (status === 404) {
      const code = errorCode(status, body);
      return { kind: 'not_found', ...(code !== undefined ? { carrierCode: code } : {}) };
    }
    const details = obj(parseJson(body));
    if (!details || !Array.isArray(details['trackingEvents'])) return { kind: 'unreadable' };
    const events = newestFirst(
      array(details['trackingEvents']).flatMap((entry) => {
        const read = obj(entry) ? event(obj(entry)!) : undefined;
        return read ? [read] : [];
      }),
    );
    const category = statusOf(USPS_STATUS_CATEGORIES, text(details['statusCategory']));
    const estimate = text(details['expectedDeliveryTimeStamp']) ?? text(details['predictedDeliveryDate']);
    // TrackingEvent.name: "The name of the persons signing for delivery (if available)".
    const signedBy = array(details['trackingEvents'])
      .map((entry) => text(obj(entry)?.['name']))
      .find((name) => name !== undefined);
    return {
      kind: 'tracked',
      result: {
        trackingNumber: text(details['trackingNumber']) ?? trackingNumber,
        status: category !== 'unknown' ? category : (events[0]?.status ?? 'unknown'),
        events,
        ...(estimate !== undefined ? { estimatedDelivery: estimate } : {}),
        ...(signedBy !== undefined ? { signedBy } : {}),
      },
    };
  },
  errorCode,
};
