/**
 * @module demo
 * The demo (`npm start` with no configuration, or `carrier-gateway --demo`): the carrier
 * simulators on loopback with config/demo.yaml's demo clients, and that file pointed at them. Each
 * simulator takes its documented port (9100 to 9800) when it is free and any free port otherwise
 * (another demo, or a test suite, may hold it), and the configuration follows the ports actually
 * taken.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { startColissimoSimulator } from '../carriers/colissimo/simulator.js';
import { startDhlExpressSimulator } from '../carriers/dhl-express/simulator.js';
import { startDhlParcelDeSimulator } from '../carriers/dhl-parcel-de/simulator.js';
import { startFedexSimulator } from '../carriers/fedex/simulator.js';
import { startLaposteSimulator } from '../carriers/laposte/simulator.js';
import { startOAuth2Simulator } from '../carriers/oauth2/simulator.js';
import { startUpsSimulator } from '../carriers/ups/simulator.js';
import { startUspsSimulator } from '../carriers/usps/simulator.js';
import { GatewayError } from './core/errors.js';
import type { SimulatorHandle, SimulatorOptions } from './sim/index.js';
import { projectRoot } from './platform/project-root.js';

export const DEMO_CONFIG_FILE = join(projectRoot(), 'config', 'demo.yaml');

/** The demo listens here unless `--host` says otherwise: it holds published keys. */
export const DEMO_HOST = '127.0.0.1';
/** config/demo.yaml's `listen.port`. */
export const DEMO_GATEWAY_PORT = 8080;
/** The demo's published keys (config/demo.yaml): a shipping app's, and an operator's. */
export const DEMO_CLIENT_KEY = 'demo-shop-key-0123456789';
export const DEMO_ADMIN_KEY = 'demo-admin-key-0123456789';

interface DemoCarrier {
  carrier: string;
  /** The port config/demo.yaml names, taken when free. */
  port: number;
  start(options: SimulatorOptions): Promise<SimulatorHandle>;
  clients: SimulatorOptions['clients'];
}

const DEMO_CARRIERS: readonly DemoCarrier[] = [
  {
    carrier: 'ups',
    port: 9100,
    start: startUpsSimulator,
    clients: [{ clientId: 'demo-ups-client', clientSecret: 'demo-ups-secret' }],
  },
  {
    carrier: 'fedex',
    port: 9200,
    start: startFedexSimulator,
    clients: [{ clientId: 'demo-fedex-client', clientSecret: 'demo-fedex-secret' }],
  },
  {
    carrier: 'oauth2',
    port: 9300,
    start: startOAuth2Simulator,
    clients: [{ clientId: 'demo-oauth2-client', clientSecret: 'demo-oauth2-secret' }],
  },
  {
    carrier: 'dhl-parcel-de',
    port: 9400,
    start: (options) =>
      startDhlParcelDeSimulator({
        ...options,
        users: [{ username: 'demo-gkp-user', password: 'demo-gkp-password' }],
      }),
    clients: [{ clientId: 'demo-dhl-client', clientSecret: 'demo-dhl-secret' }],
  },
  {
    carrier: 'dhl-express',
    port: 9500,
    start: startDhlExpressSimulator,
    clients: [{ clientId: 'demo-mydhl-key', clientSecret: 'demo-mydhl-secret' }],
  },
  {
    carrier: 'usps',
    port: 9600,
    start: startUspsSimulator,
    clients: [{ clientId: 'demo-usps-client', clientSecret: 'demo-usps-secret' }],
  },
  {
    carrier: 'laposte',
    port: 9700,
    start: startLaposteSimulator,
    clients: [{ clientId: 'demo-laposte-app', clientSecret: 'demo-okapi-key' }],
  },
  {
    carrier: 'colissimo',
    port: 9800,
    start: startColissimoSimulator,
    clients: [{ clientId: 'demo-colissimo-contract', clientSecret: 'demo-colissimo-key' }],
  },
];

export interface DemoSimulator {
  carrier: string;
  /** The port config/demo.yaml names. */
  defaultPort: number;
  /** The port it listens on: the default one, or a free one when that was taken. */
  port: number;
  handle: SimulatorHandle;
}

async function startOne(spec: DemoCarrier): Promise<DemoSimulator> {
  const options = { host: DEMO_HOST, clients: spec.clients };
  let handle: SimulatorHandle;
  try {
    handle = await spec.start({ ...options, port: spec.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    handle = await spec.start({ ...options, port: 0 });
  }
  return { carrier: spec.carrier, defaultPort: spec.port, port: handle.port, handle };
}

export async function startDemoSimulators(): Promise<DemoSimulator[]> {
  const started = await Promise.allSettled(DEMO_CARRIERS.map(startOne));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(
      started.flatMap((result) => (result.status === 'fulfilled' ? [result.value.handle.close()] : [])),
    );
    throw (failed as PromiseRejectedResult).reason;
  }
  return started.map((result) => (result as PromiseFulfilledResult<DemoSimulator>).value);
}

const LOOPBACK_URL = /http:\/\/127\.0\.0\.1:(\d+)\b/g;

/** config/demo.yaml with every simulator URL on the port that simulator actually took. */
export function demoConfig(simulators: readonly DemoSimulator[], env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const byDefaultPort = new Map(simulators.map((simulator) => [simulator.defaultPort, simulator]));
  const text = readFileSync(DEMO_CONFIG_FILE, 'utf8').replace(LOOPBACK_URL, (url, port: string) => {
    // The gateway's own address (publicUrl, where the carrier sends the browser back) stays.
    if (Number(port) === DEMO_GATEWAY_PORT) return url;
    const simulator = byDefaultPort.get(Number(port));
    if (simulator === undefined) {
      throw new GatewayError('ERR_CONFIG_INVALID', `invalid configuration: ${DEMO_CONFIG_FILE}`, {
        detail: `${url} is not one of the demo's simulators`,
      });
    }
    return `http://${DEMO_HOST}:${simulator.port}`;
  });
  return parseConfig(text, DEMO_CONFIG_FILE, env);
}
