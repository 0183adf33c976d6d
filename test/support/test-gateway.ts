/**
 * @module test/support/test-gateway
 * The one way tests build an in-process gateway: a configuration from the blocks a test names
 * (accounts, clients, admins, a test redis-server, any other block) or from YAML, parsed by the
 * real config loader, `createGateway` with the suite's capture logger, and a listener on an
 * ephemeral loopback port. Every client key, admin key and account secret of the configuration is
 * registered with the suite's log scan. `closeTestGateways()` closes every gateway a test file
 * started and not yet closed (`closeTestGatewaysAnd` then closes what else the file started).
 */
import type { TestTopology } from './redis-topology.js';
import { stringify } from 'yaml';

import { parseConfig } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { TEST_SEALER } from './engine.js';
import { registerSecrets, testLogger } from './log-capture.js';

export interface TestClient {
  /** Default `shop`. */
  id?: string;
  apiKey: string;
  /** Default: every account of the configuration, in its order. */
  accounts?: string[];
}

export interface TestGatewayOptions {
  /** The whole configuration as YAML (or JSON); the blocks below are then not used. */
  yaml?: string;
  accounts?: Record<string, unknown>[];
  /** One client `shop` with this key, allowed every account (when `clients` is not given). */
  clientKey?: string;
  clients?: TestClient[];
  admins?: { id: string; apiKey: string }[];
  /**
   * Shared mode, tokens sealed with TEST_SEALER: a test redis-server (test/support/redis-server.ts,
   * `{ url }`) or any topology's `endpoint` (test/support/redis-topology.ts: Cluster, Sentinel).
   */
  redis?: ({ url: string } | TestTopology['endpoint']) & { keyPrefix?: string };
  /** Any other top-level block (`alerts`, `probes`, `breaker`, `publicUrl`, ...). */
  config?: Record<string, unknown>;
  /** Breaker policy overrides of GatewayOptions (shorter timings). */
  breaker?: GatewayOptions['breaker'];
  /** Token engine overrides of GatewayOptions (retry, cooldown, lock waits, clock). */
  engine?: GatewayOptions['engine'];
  /** The rest of GatewayOptions (sealer, sharedStatePollMs, configFile, ...). */
  options?: Partial<Omit<GatewayOptions, 'log'>>;
  /** The name of the logger and of the configuration's source (`test` by default). */
  name?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default true; false builds the gateway without a listener (for in-process requests). */
  listen?: boolean;
}

export interface TestGateway {
  gateway: Gateway;
  config: GatewayConfig;
  port: number;
  /** `http://127.0.0.1:<port>` (empty when not listening). */
  url: string;
  close(): Promise<void>;
}

const running = new Set<TestGateway>();

/** The configuration text a test's blocks stand for. */
export function testGatewayYaml(options: TestGatewayOptions): string {
  if (options.yaml !== undefined) return options.yaml;
  const accounts = options.accounts ?? [];
  const allAccounts = accounts.map((account) => account['id'] as string);
  const clients = options.clients ?? (options.clientKey !== undefined ? [{ apiKey: options.clientKey }] : []);
  return stringify({
    listen: { port: 0, host: '127.0.0.1' },
    ...(options.redis
      ? {
          redis:
            'url' in options.redis
              ? {
                  url: options.redis.url,
                  ...(options.redis.keyPrefix !== undefined ? { keyPrefix: options.redis.keyPrefix } : {}),
                }
              : options.redis,
        }
      : {}),
    // Simulators' clocks are driven by hand while the gateway's runs for real: a token a test ages
    // at the carrier is still young by the gateway's clock, and the young-token rule
    // (src/upstream/rejection.ts) would keep it. Tests of that rule name their own `auth` block.
    auth: { youngTokenSeconds: 0 },
    ...options.config,
    ...(options.admins ? { admins: options.admins } : {}),
    clients: clients.map((client) => ({
      id: client.id ?? 'shop',
      apiKey: client.apiKey,
      accounts: client.accounts ?? allAccounts,
    })),
    accounts,
  });
}

/**
 * Builds accounts of one carrier against a simulator: `account(id, sim, extra, tokenBase)` is an
 * account `id` with these credentials, its token URL `<tokenBase><tokenPath>` (the simulator by
 * default, or a tap in front of it), its API the simulator, and `extra` over it.
 */
export function simulatorAccounts(carrier: string, tokenPath: string, credentials: Record<string, string>) {
  return (
    id: string,
    sim: { url: string },
    extra: Record<string, unknown> = {},
    tokenBase = sim.url,
  ): Record<string, unknown> => ({
    id,
    carrier,
    urls: { token: `${tokenBase}${tokenPath}`, api: sim.url },
    credentials: { ...credentials },
    ...extra,
  });
}

function registerConfiguredSecrets(config: GatewayConfig): void {
  registerSecrets(
    ...config.clients.map((client) => client.apiKey),
    ...(config.admins ?? []).map((admin) => admin.apiKey),
    ...config.accounts.flatMap((account) =>
      [
        account.credentials.clientSecret,
        account.credentials.nextClientSecret,
        account.credentials.childSecret,
        account.credentials.refreshToken,
        account.credentials.password,
      ].filter((value): value is string => value !== undefined),
    ),
  );
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const name = options.name ?? 'test';
  const config = parseConfig(testGatewayYaml(options), name);
  registerConfiguredSecrets(config);
  const gateway = await createGateway(config, {
    ...(config.redis ? { sealer: TEST_SEALER } : {}),
    ...options.options,
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
    log: testLogger(name),
  });
  const port = options.listen === false ? 0 : await gateway.listen(options.port ?? 0, '127.0.0.1');
  const handle: TestGateway = {
    gateway,
    config,
    port,
    url: options.listen === false ? '' : `http://127.0.0.1:${port}`,
    close: async () => {
      if (!running.delete(handle)) return;
      await gateway.close();
    },
  };
  running.add(handle);
  return handle;
}

/** Closes every gateway this test file started and has not closed yet. */
export async function closeTestGateways(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.close()));
}

type Stoppable = { close(): Promise<void> } | { kill(): Promise<void> };

/** For afterAll: closes this file's gateways, then the rest in order (a test redis-server is killed). */
export async function closeTestGatewaysAnd(...others: (Stoppable | undefined)[]): Promise<void> {
  await closeTestGateways();
  for (const other of others) {
    if (other === undefined) continue;
    await ('close' in other ? other.close() : other.kill());
  }
}
