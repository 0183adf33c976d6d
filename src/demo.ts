/**
 * @module demo
 * The demo started by `npm start` without configuration: the carrier simulators on the ports
 * config/demo.yaml points at, with that file's demo clients.
 */
import { join } from 'node:path';

import { startColissimoSimulator } from '../carriers/colissimo/simulator.js';
import { startDhlExpressSimulator } from '../carriers/dhl-express/simulator.js';
import { startDhlParcelDeSimulator } from '../carriers/dhl-parcel-de/simulator.js';
import { startFedexSimulator } from '../carriers/fedex/simulator.js';
import { startLaposteSimulator } from '../carriers/laposte/simulator.js';
import { startOAuth2Simulator } from '../carriers/oauth2/simulator.js';
import { startUpsSimulator } from '../carriers/ups/simulator.js';
import { startUspsSimulator } from '../carriers/usps/simulator.js';
import type { SimulatorHandle } from './sim/index.js';
import { projectRoot } from './platform/project-root.js';

export const DEMO_CONFIG_FILE = join(projectRoot(), 'config', 'demo.yaml');

export async function startDemoSimulators(): Promise<SimulatorHandle[]> {
  const host = '127.0.0.1';
  return Promise.all([
    startUpsSimulator({
      host,
      port: 9100,
      clients: [{ clientId: 'demo-ups-client', clientSecret: 'demo-ups-secret' }],
    }),
    startFedexSimulator({
      host,
      port: 9200,
      clients: [{ clientId: 'demo-fedex-client', clientSecret: 'demo-fedex-secret' }],
    }),
    startDhlParcelDeSimulator({
      host,
      port: 9400,
      clients: [{ clientId: 'demo-dhl-client', clientSecret: 'demo-dhl-secret' }],
      users: [{ username: 'demo-gkp-user', password: 'demo-gkp-password' }],
    }),
    startDhlExpressSimulator({
      host,
      port: 9500,
      clients: [{ clientId: 'demo-mydhl-key', clientSecret: 'demo-mydhl-secret' }],
    }),
    startUspsSimulator({
      host,
      port: 9600,
      clients: [{ clientId: 'demo-usps-client', clientSecret: 'demo-usps-secret' }],
    }),
    startLaposteSimulator({
      host,
      port: 9700,
      clients: [{ clientId: 'demo-laposte-app', clientSecret: 'demo-okapi-key' }],
    }),
    startColissimoSimulator({
      host,
      port: 9800,
      clients: [{ clientId: 'demo-colissimo-contract', clientSecret: 'demo-colissimo-key' }],
    }),
    startOAuth2Simulator({
      host,
      port: 9300,
      clients: [{ clientId: 'demo-oauth2-client', clientSecret: 'demo-oauth2-secret' }],
    }),
  ]);
}
