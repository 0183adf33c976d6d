/**
 * @module test/integration/operator-token-actions
 * The token actions an operator takes through the admin API, seen across two instances on one
 * real Redis: a purge makes every instance forget the token it holds in memory, and a forced
 * refresh calls the carrier even while the token is fresh (and while a cooldown is in force),
 * then hands the new token to the other instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { accountsFrom, startInstance, type TestInstance } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const SECRET = 'operator-actions-secret-0123456789';

const waitFor = async (check: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('operator token actions across instances', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    registerSecrets(SECRET);
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [{ clientId: 'ops-client', clientSecret: SECRET }] });
    const accounts = () =>
      accountsFrom(`
  - id: ups-ops
    carrier: ups
    urls: { token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }
    credentials: { clientId: ops-client, clientSecret: "${SECRET}" }
`);
    a = await startInstance(redis.url, accounts());
    b = await startInstance(redis.url, accounts());
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await a?.close();
    await b?.close();
    await sim?.close();
    await redis?.kill();
  });

  it('a purge on one instance empties the store and the memory of both', async () => {
    const first = await a.engine.manager('ups-ops').getToken();
    expect((await b.engine.manager('ups-ops').getToken()).accessToken).toBe(first.accessToken);
    expect(b.engine.manager('ups-ops').peek()).toBeDefined();

    await a.engine.purge('ups-ops');
    expect(await a.engine.store.read('ups-ops')).toBeNull();
    expect(a.engine.manager('ups-ops').peek()).toBeUndefined();
    await waitFor(() => b.engine.manager('ups-ops').peek() === undefined);

    const next = await b.engine.manager('ups-ops').getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
  });

  it('a forced refresh gets a new token while the old one is fresh, and the other instance adopts it', async () => {
    const before = await a.engine.manager('ups-ops').getToken();
    await b.engine.manager('ups-ops').getToken();
    const issued = sim.stats().tokensIssued;

    const forced = await a.engine.tokenManager('ups-ops')!.refreshNow();
    expect(forced.accessToken).not.toBe(before.accessToken);
    expect(forced.generation).toBeGreaterThan(before.generation);
    expect(sim.stats().tokensIssued).toBe(issued + 1);
    await waitFor(() => b.engine.manager('ups-ops').peek()?.accessToken === forced.accessToken);
  });

  it('a forced refresh lifts a cooldown the fleet was keeping', async () => {
    await a.engine.store.updateState('ups-ops', {
      cooldown: { until: Date.now() + 60_000, code: 'ERR_TOKEN_INVALID_CLIENT', failures: 3 },
    });
    const forced = await b.engine.tokenManager('ups-ops')!.refreshNow();
    expect(forced.accessToken).toBeDefined();
    expect((await a.engine.store.readState('ups-ops')).cooldown).toBeUndefined();
  });
});
