/**
 * @module test/support/ups-token-fixture
 * The setup the token-engine integration tests share: a real `redis-server`, a UPS simulator
 * with one client, and in-process token engines on that Redis, all closed after the file. The
 * client's secret and every token the simulator issued are registered with the log scan, so a
 * leak into any log fails the run.
 */
import { afterAll, beforeAll } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { ResolvedAccount } from '../../src/core/account.js';
import type { TokenEngineOptions } from '../../src/auth/token-engine.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { accountsFrom, startInstance, type TestInstance } from './engine.js';
import { registerIssuedTokens, registerSecrets, testLogger } from './log-capture.js';
import { TestRedis } from './redis-server.js';

export interface UpsTokenFixture {
  readonly redis: TestRedis;
  readonly sim: UpsSimulatorHandle;
  readonly clientId: string;
  readonly secret: string;
  /**
   * One UPS account block for `accounts:` YAML, aimed at the simulator with the fixture's client;
   * `lines` are more keys of the block (`grant: authorization_code`, ...).
   */
  account(id: string, options?: { refreshToken?: string; lines?: string[] }): string;
  /** Accounts parsed from blocks made by `account`. */
  accounts(...blocks: string[]): ResolvedAccount[];
  /** A connection to the fixture's Redis under its own key prefix; closed after the file. */
  connection(keyPrefix: string): Promise<RedisConnection>;
  /** A token engine on the fixture's Redis; closed after the file. */
  instance(accounts: ResolvedAccount[], options?: Partial<TokenEngineOptions>): Promise<TestInstance>;
}

/** Registers the file's `beforeAll`/`afterAll` and returns the fixture they fill in. */
export function useUpsTokenFixture(name: string): UpsTokenFixture {
  const clientId = `${name}-client`;
  const secret = `${name}-ups-secret-0123456789`;
  const started: { close(): Promise<void> }[] = [];
  let redis: TestRedis | undefined;
  let sim: UpsSimulatorHandle | undefined;

  beforeAll(async () => {
    registerSecrets(secret);
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [{ clientId, clientSecret: secret }] });
  });

  afterAll(async () => {
    if (sim) registerIssuedTokens(sim);
    await Promise.all(started.map((instance) => instance.close()));
    await sim?.close();
    await redis?.kill();
  });

  const fixture: UpsTokenFixture = {
    get redis() {
      if (!redis) throw new Error('the fixture is used before beforeAll ran');
      return redis;
    },
    get sim() {
      if (!sim) throw new Error('the fixture is used before beforeAll ran');
      return sim;
    },
    clientId,
    secret,
    account(id, { refreshToken, lines = [] } = {}) {
      const refresh = refreshToken ? `, refreshToken: "${refreshToken}"` : '';
      return [
        `  - id: ${id}`,
        `    carrier: ups`,
        `    urls: { token: "${fixture.sim.url}/security/v1/oauth/token", api: "${fixture.sim.url}" }`,
        `    credentials: { clientId: ${clientId}, clientSecret: "${secret}"${refresh} }`,
        ...lines.map((line) => `    ${line}`),
      ].join('\n');
    },
    accounts: (...blocks) => accountsFrom(`\n${blocks.join('\n')}`),
    async connection(keyPrefix) {
      const connection = new RedisConnection({ url: fixture.redis.url, keyPrefix }, testLogger(name));
      await connection.connect();
      started.push(connection);
      return connection;
    },
    async instance(accounts, options = {}) {
      const instance = await startInstance(fixture.redis.url, accounts, options);
      started.push(instance);
      return instance;
    },
  };
  return fixture;
}
