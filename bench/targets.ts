/**
 * @module bench/targets
 * Starting the processes under test: the UPS simulator (src/cli/simulator.ts), gateway instances (the
 * real CLI, src/main.ts) and the baseline proxy, each in its own process so the load generator,
 * the proxy and the carrier compete for the cores as separate services would. Also the few
 * simulator calls the benchmark needs (stats, faults, a token), made over its `/__sim/*` API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SimFaults, SimStats } from '../src/sim/types.js';
import { startNodeChild, type Child } from './processes.js';

/** Per-run credentials: nothing here is a real secret, but nothing is reused between runs either. */
export const CREDENTIALS = {
  apiKey: `bench-shop-key-${randomBytes(12).toString('hex')}`,
  clientId: 'bench-ups-client',
  clientSecret: `bench-ups-secret-${randomBytes(12).toString('hex')}`,
  encryptionKey: randomBytes(32).toString('hex'),
} as const;

export const ACCOUNT = 'ups-bench';
/** The request both proxies serve: UPS tracking details, a GET with a small JSON answer. */
export const TRACKING_PATH = `/v1/carriers/${ACCOUNT}/api/track/v1/details/1Z12345E0205271688`;

const tempDirs: string[] = [];

/** Config files hold the client secret, so they go at exit (see removeTempFiles). JSON is YAML too. */
export function writeConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'carrier-gateway-bench-'));
  tempDirs.push(dir);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml, { mode: 0o600 });
  return file;
}

export function removeTempFiles(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Simulator {
  url: string;
  child: Child;
  stats(): Promise<SimStats>;
  setFaults(patch: Partial<SimFaults>): Promise<void>;
  /** A client-credentials access token, as the baseline proxy injects it. */
  token(): Promise<string>;
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** The `/__sim/*` calls every simulator answers, for a simulator child already listening at `url`. */
function controlApi(url: string): Pick<Simulator, 'stats' | 'setFaults'> {
  return {
    stats: async () =>
      (await (await expectOk(await fetch(`${url}/__sim/stats`), 'simulator stats')).json()) as SimStats,
    setFaults: async (patch) => {
      await expectOk(
        await fetch(`${url}/__sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(patch),
        }),
        'simulator faults',
      );
    },
  };
}

async function startSimulatorProcess(
  carrier: string,
  name: string,
  clients: { clientId: string; clientSecret: string }[],
): Promise<{ url: string; child: Child }> {
  const { child, value: url } = await startNodeChild({
    name,
    script: 'src/cli/simulator.ts',
    args: ['--carrier', carrier, '--port', '0'],
    env: { SIM_CLIENTS: JSON.stringify(clients) },
    ready: (line) => (typeof line.url === 'string' ? line.url : undefined),
  });
  return { url, child };
}

export async function startSimulator(): Promise<Simulator> {
  const { url, child } = await startSimulatorProcess('ups', 'ups-simulator', [
    { clientId: CREDENTIALS.clientId, clientSecret: CREDENTIALS.clientSecret },
  ]);
  return {
    url,
    child,
    ...controlApi(url),
    token: async () => {
      const basic = Buffer.from(`${CREDENTIALS.clientId}:${CREDENTIALS.clientSecret}`).toString('base64');
      const response = await fetch(`${url}/security/v1/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const body = (await (await expectOk(response, 'simulator token')).json()) as { access_token?: string };
      if (typeof body.access_token !== 'string') throw new Error('simulator token: no access_token');
      return body.access_token;
    },
  };
}

/** FedEx API key and secret of the FedEx simulator (the shipments sections fail over to it). */
export const FEDEX_CREDENTIALS = {
  clientId: 'bench-fedex-key',
  clientSecret: `bench-fedex-secret-${randomBytes(12).toString('hex')}`,
} as const;

/** The FedEx simulator in its own process; `token()` is UPS-only and not offered here. */
export async function startFedexSimulator(): Promise<Omit<Simulator, 'token'>> {
  const { url, child } = await startSimulatorProcess('fedex', 'fedex-simulator', [FEDEX_CREDENTIALS]);
  return { url, child, ...controlApi(url) };
}

export interface Service {
  url: string;
  child: Child;
}

export interface GatewayConfigOptions {
  simUrl: string;
  redisUrl?: string;
  /** Account `refresh` policy; the stampede turns proactive refresh off. */
  refresh?: { marginSeconds: number; windowSeconds: number };
}

/** A gateway configuration file serving ACCOUNT against the simulator. */
export function gatewayConfig(options: GatewayConfigOptions): string {
  const refresh = options.refresh
    ? `    refresh: { marginSeconds: ${options.refresh.marginSeconds}, windowSeconds: ${options.refresh.windowSeconds} }\n`
    : '';
  return writeConfig(
    `${options.redisUrl ? `redis: { url: "${options.redisUrl}" }\n` : ''}` +
      // info, not warn: the "listening" line the runner waits for is logged at info.
      `listen: { port: 0, host: 127.0.0.1 }
shutdown: { graceMs: 0 }
log: { level: info }
clients: [{ id: bench-shop, apiKey: "${CREDENTIALS.apiKey}", accounts: [${ACCOUNT}] }]
# One client is the whole load here: let it use all but one of the origin's 64 pooled
# connections (with the default, 32, calls past it would wait for a slot and measure that).
passThrough: { maxConcurrentCallsPerClient: 63 }
accounts:
  - id: ${ACCOUNT}
    carrier: ups
    urls: { token: "${options.simUrl}/security/v1/oauth/token", api: "${options.simUrl}" }
    credentials: { clientId: ${CREDENTIALS.clientId}, clientSecret: "${CREDENTIALS.clientSecret}" }
${refresh}`,
  );
}

/** `node --import tsx src/main.ts --config FILE` with PORT=0; resolves with the port it logs. */
export async function startGateway(
  configFile: string,
  name: string,
  nodeArgs: string[] = [],
  timeoutMs?: number,
): Promise<Service> {
  const { child, value: port } = await startNodeChild({
    name,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    script: 'src/main.ts',
    args: ['--config', configFile],
    nodeArgs,
    env: { PORT: '0', GATEWAY_CONFIG: '', GATEWAY_ENCRYPTION_KEY: CREDENTIALS.encryptionKey },
    ready: (line) =>
      typeof line.msg === 'string' &&
      line.msg.includes('carrier gateway listening') &&
      typeof line.port === 'number'
        ? line.port
        : undefined,
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

export async function startBaseline(
  simUrl: string,
  token: string,
  nodeArgs: string[] = [],
): Promise<Service> {
  const { child, value: port } = await startNodeChild({
    name: 'baseline-proxy',
    script: 'bench/baseline-proxy.ts',
    nodeArgs,
    env: { PORT: '0', BASELINE_UPSTREAM: simUrl, BASELINE_TOKEN: token },
    ready: (line) => (line.baseline === 'listening' && typeof line.port === 'number' ? line.port : undefined),
  });
  return { url: `http://127.0.0.1:${port}`, child };
}
