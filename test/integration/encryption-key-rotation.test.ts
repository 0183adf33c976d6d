/**
 * @module test/integration/encryption-key-rotation
 * Changing GATEWAY_ENCRYPTION_KEY without losing the stored tokens: an instance started with the
 * new key and the old one as GATEWAY_ENCRYPTION_KEY_PREVIOUS reads the token the old fleet
 * stored (no carrier call), and its next refresh stores the token under the new key, which an
 * instance with the new key alone then reads. Without the previous key the old record is unreadable
 * and a new token is fetched.
 */
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { TokenSealer } from '../../src/auth/crypto.js';
import { accountsFrom, startInstance, type TestInstance } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const SECRET = 'key-rotation-secret-0123456789';
const OLD_KEY = randomBytes(32).toString('hex');
const NEW_KEY = randomBytes(32).toString('hex');

describe('encryption key rotation', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  const instances: TestInstance[] = [];

  beforeAll(async () => {
    registerSecrets(SECRET, OLD_KEY, NEW_KEY);
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [{ clientId: 'rotation-key-client', clientSecret: SECRET }] });
  });

  afterAll(async () => {
    registerIssuedTokens(sim);
    await Promise.all(instances.map((instance) => instance.close()));
    await sim?.close();
    await redis?.kill();
  });

  const start = async (sealer: TokenSealer) => {
    const accounts = accountsFrom(`
  - id: ups-keyed
    carrier: ups
    urls: { token: "${sim.url}/security/v1/oauth/token", api: "${sim.url}" }
    credentials: { clientId: rotation-key-client, clientSecret: "${SECRET}" }
`);
    const instance = await startInstance(redis.url, accounts, { sealer });
    instances.push(instance);
    return instance;
  };

  it('keeps the stored token readable through the change, then moves it to the new key', async () => {
    const old = await start(TokenSealer.fromEnvironmentValue(OLD_KEY));
    const first = await old.engine.manager('ups-keyed').getToken();
    expect(sim.stats().tokensIssued).toBe(1);

    // Without the previous key, the record does not open.
    const blind = await start(TokenSealer.fromEnvironmentValue(NEW_KEY));
    expect(await blind.engine.store.read('ups-keyed')).toBeNull();

    const rotating = await start(TokenSealer.fromEnvironmentValue(NEW_KEY, OLD_KEY));
    expect((await rotating.engine.manager('ups-keyed').getToken()).accessToken).toBe(first.accessToken);
    expect(sim.stats().tokensIssued).toBe(1);

    const refreshed = await rotating.engine.tokenManager('ups-keyed')!.refreshNow();
    const settled = await start(TokenSealer.fromEnvironmentValue(NEW_KEY));
    expect((await settled.engine.store.read('ups-keyed'))?.accessToken).toBe(refreshed.accessToken);
  });
});
