/**
 * @module sim/journey
 * A parcel's made-up journey for the simulators' tracking APIs, the same for the same number:
 * where it stands comes from the number itself (its last digit), or from the `trackingStage`
 * fault for every number at once, so a test can move a parcel on, or back. Each carrier turns
 * the steps into its own codes and shapes.
 */
import type { TrackingStage } from './types.js';

/** One step of a journey, oldest first in `journey`'s answer. */
export interface JourneyStep {
  stage: TrackingStage | 'picked_up';
  /** Epoch ms. */
  at: number;
  city: string;
  countryCode: string;
}

/** The stage a number is at when no fault says otherwise: its last digit picks one. */
const BY_DIGIT: TrackingStage[] = [
  'pre_transit',
  'in_transit',
  'in_transit',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'delivered',
  'delivered',
  'exception',
  'available_for_pickup',
];

export function stageOf(trackingNumber: string, forced: TrackingStage | null): TrackingStage {
  if (forced !== null) return forced;
  const digit = /(\d)\D*$/.exec(trackingNumber);
  return BY_DIGIT[digit ? Number(digit[1]) : 1]!;
}

const HOUR = 3_600_000;

/** The steps up to `stage`, oldest first, the last one an hour before `now`. */
export function journey(stage: TrackingStage, now: number): JourneyStep[] {
  const place = (city: string, countryCode = 'US') => ({ city, countryCode });
  const steps: Omit<JourneyStep, 'at'>[] = [{ stage: 'pre_transit', ...place('ATLANTA') }];
  if (stage !== 'pre_transit') {
    steps.push({ stage: 'picked_up', ...place('ATLANTA') }, { stage: 'in_transit', ...place('LOUISVILLE') });
  }
  if (stage === 'exception') steps.push({ stage: 'exception', ...place('LOUISVILLE') });
  if (['out_for_delivery', 'delivered', 'available_for_pickup', 'returned'].includes(stage)) {
    steps.push({ stage: 'out_for_delivery', ...place('DALLAS') });
  }
  if (stage === 'delivered' || stage === 'available_for_pickup' || stage === 'returned') {
    steps.push({ stage, ...place(stage === 'returned' ? 'ATLANTA' : 'DALLAS') });
  }
  return steps.map((step, index) => ({ ...step, at: now - (steps.length - index) * 6 * HOUR }));
}
