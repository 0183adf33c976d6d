/**
 * @module carriers/dhl-express/tracking-simulator
 * The MyDHL simulator's tracking events for the kit's `trackingStage` fault: a made-up journey
 * (src/sim/journey.ts) in the `events[]` shape of `supermodelIoLogisticsExpressTrackingResponse`
 * (../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml), with codes and wording from
 * the spec's trackingEventCode reference data and its tracking example. The route (which waybills
 * exist, 404 for others, views, levels) stays in simulator.ts; latency and read faults come from
 * the kit through its `reads.tracking` definition. Codes as carriers/dhl-express/tracking.ts.
 */
import { journey, type JourneyStep, type TrackingStage } from '../../src/sim/index.js';

export interface DhlServiceArea {
  code: string;
  description: string;
}

/** One element of `events[]` (date, time, GMTOffset?, typeCode, description, serviceArea, signedBy?). */
export interface DhlTrackingEvent {
  date: string;
  time: string;
  GMTOffset?: string;
  typeCode: string;
  description: string;
  serviceArea: DhlServiceArea[];
  signedBy?: string;
}

/** eventTypeCode per stage; the descriptions are the tracking example's where it has one. */
const CODES: Record<JourneyStep['stage'], { typeCode: string; description: string }> = {
  pre_transit: { typeCode: 'DUMMY_PU', description: 'Shipment information received' },
  picked_up: { typeCode: 'PU', description: 'Shipment picked up' },
  in_transit: { typeCode: 'AF', description: 'Arrived at DHL Sort Facility' },
  out_for_delivery: { typeCode: 'WC', description: 'Shipment is out with courier for delivery' },
  delivered: { typeCode: 'OK', description: 'Delivered' },
  available_for_pickup: { typeCode: 'CC', description: 'Awaiting collection by consignee' },
  returned: { typeCode: 'RT', description: 'Returned to consignor' },
  exception: { typeCode: 'TD', description: 'Transport delay' },
};

const pad = (n: number) => String(n).padStart(2, '0');

/** [MYDHL-SPEC] event `date` 'YYYY-MM-DD' and `time` 'HH:MM:SS', origin-local; the simulator uses UTC. */
export function dateAndTime(ms: number): { date: string; time: string } {
  const d = new Date(ms);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

/**
 * The events up to `stage`, oldest first as MyDHL lists them: at the origin's service area until
 * the courier takes the parcel out (except a return, which ends back at the origin), at the
 * destination's after.
 */
export function journeyEvents(
  stage: TrackingStage,
  now: number,
  origin: DhlServiceArea[],
  destination: DhlServiceArea[],
): DhlTrackingEvent[] {
  const steps = journey(stage, now);
  const outAt = steps.findIndex((step) => step.stage === 'out_for_delivery');
  return steps.map((step, index) => {
    const atDestination = outAt !== -1 && index >= outAt && step.stage !== 'returned';
    return {
      ...dateAndTime(step.at),
      ...CODES[step.stage],
      serviceArea: atDestination ? destination : origin,
      ...(step.stage === 'delivered' ? { signedBy: 'A.BUYER' } : {}),
    };
  });
}
