/**
 * @module carriers
 * The one list of carrier descriptors. Adding a carrier that needs no new capability means a
 * folder `carriers/<carrier>/` and one line here (and one in carriers/simulators.ts).
 */
import type { CarrierDescriptor } from '../src/core/carrier.js';
import { colissimo } from './colissimo/index.js';
import { dhlExpress } from './dhl-express/index.js';
import { dhlParcelDe } from './dhl-parcel-de/index.js';
import { fedex } from './fedex/index.js';
import { laposte } from './laposte/index.js';
import { oauth2 } from './oauth2/index.js';
import { ups } from './ups/index.js';
import { usps } from './usps/index.js';

const DESCRIPTORS = {
  ups,
  fedex,
  oauth2,
  'dhl-parcel-de': dhlParcelDe,
  'dhl-express': dhlExpress,
  usps,
  laposte,
  colissimo,
} satisfies Record<string, CarrierDescriptor>;

export type CarrierId = keyof typeof DESCRIPTORS;

export const CARRIERS: Record<CarrierId, CarrierDescriptor> = DESCRIPTORS;

/** The ids a configuration may name (`accounts[].carrier`). */
export const CARRIER_IDS = Object.keys(CARRIERS) as [CarrierId, ...CarrierId[]];
