/**
 * @module carriers/simulators
 * The one list of carrier simulators, by carrier id (the demo, `src/cli/simulator.ts`, tests and
 * benchmarks start them from here). `laposte-oauth` is La Poste with its OAuth mode on.
 */
import type { SimulatorHandle, SimulatorOptions } from '../src/sim/types.js';
import type { CarrierId } from './index.js';
import { startColissimoSimulator } from './colissimo/simulator.js';
import { startDhlExpressSimulator } from './dhl-express/simulator.js';
import { startDhlParcelDeSimulator } from './dhl-parcel-de/simulator.js';
import { startFedexSimulator } from './fedex/simulator.js';
import { startLaposteSimulator } from './laposte/simulator.js';
import { startOAuth2Simulator } from './oauth2/simulator.js';
import { startUpsSimulator } from './ups/simulator.js';
import { startUspsSimulator } from './usps/simulator.js';

export type SimulatorStarter = (options: SimulatorOptions) => Promise<SimulatorHandle>;

export const SIMULATORS: Record<CarrierId | 'laposte-oauth', SimulatorStarter> = {
  ups: startUpsSimulator,
  fedex: startFedexSimulator,
  oauth2: startOAuth2Simulator,
  'dhl-parcel-de': startDhlParcelDeSimulator,
  'dhl-express': startDhlExpressSimulator,
  usps: startUspsSimulator,
  laposte: startLaposteSimulator,
  'laposte-oauth': (options) => startLaposteSimulator({ ...options, oauth: true }),
  colissimo: startColissimoSimulator,
};
