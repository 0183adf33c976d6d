/**
 * @module test/auth/manager/secret-rotation
 * A client-secret rotation against the UPS simulator, with no failed token request seen by the
 * shipping side: the account lists the old secret and the new one before the carrier accepts the
 * new one; the gateway falls back to the old one in the same request, waits five minutes before
 * offering the new one again, switches once the carrier accepts it, and says which one works in
 * the token status and in `GET /v1/health/carriers/{id}`. Neither secret appears in any log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../../carriers/ups/simulator.js';
import { LocalRefreshLock } from '../../../src/auth/refresh-lock.js';
import { RETRY_NEXT_SECRET_MS } from '../../../src/auth/secret-rotation.js';
import { TokenManager } from '../../../src/auth/token-manager.js';
import { MemoryTokenStore } from '../../../src/auth/token-store.js';
import { accountsFrom } from '../../support/engine.js';
import { closeTestGateways, startTestGateway } from '../../support/test-gateway.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../../support/log-capture.js';

const CLIENT = 'rotating-client';
const OLD_SECRET = 'rotation-old-secret-0123456789';
const NEW_SECRET = 'rotation-new-secret-0123456789';
const CLIENT_KEY = 'rotation-shop-key-0123456789';

describe('client-secret rotation', () => {
  let ups: UpsSimulatorHandle;

  beforeAll(async () => {
    registerSecrets(OLD_SECRET, NEW_SECRET, CLIENT_KEY);
    ups = await startUpsSimulator({ clients: [{ clientId: CLIENT, clientSecret: OLD_SECRET }] });
  });

  afterAll(async () => {
    registerIssuedTokens(ups);
    await closeTestGateways();
    await ups?.close();
  });

  it('falls back to the current secret, retries the next one after five minutes, and switches when the carrier takes it', async () => {
    ups.rotateSecret(CLIENT, OLD_SECRET);
    ups.resetStats();
    let offset = 0;
    const [account] = accountsFrom(`
  - id: ups-rotating
    carrier: ups
    urls: { token: "${ups.url}/security/v1/oauth/token", api: "${ups.url}" }
    credentials: { clientId: ${CLIENT}, clientSecret: "${OLD_SECRET}", nextClientSecret: "${NEW_SECRET}" }
`);
    const manager = new TokenManager(account!, {
      store: new MemoryTokenStore(),
      lock: new LocalRefreshLock(),
      log: testLogger('rotation'),
      sharedStoreAvailable: () => false,
      now: () => Date.now() + offset,
    });
    try {
      // The carrier does not know the new secret yet: rejected, and the old one answers at once.
      const first = await manager.getToken();
      expect(ups.isAccessTokenValid(first.accessToken)).toBe(true);
      expect(ups.stats().tokenRequests).toBe(2);
      expect((await manager.status()).secretRotation).toMatchObject({ inUse: 'current', next: 'rejected' });

      // Within the pause only the old secret is sent.
      await manager.refreshNow();
      expect(ups.stats().tokenRequests).toBe(3);

      // The developer activates the new secret at the carrier (the old one stops working).
      ups.rotateSecret(CLIENT, NEW_SECRET);
      offset += RETRY_NEXT_SECRET_MS;
      const switched = await manager.refreshNow();
      expect(ups.isAccessTokenValid(switched.accessToken)).toBe(true);
      expect(ups.stats().tokenRequests).toBe(4);
      expect((await manager.status()).secretRotation).toMatchObject({ inUse: 'next', next: 'accepted' });
      expect(manager.clientSecretInUse()).toBe(NEW_SECRET);

      // From now on the new secret goes first and alone.
      await manager.refreshNow();
      expect(ups.stats().tokenRequests).toBe(5);
      expect(ups.stats().tokenRequests - ups.stats().tokensIssued).toBe(1);
    } finally {
      manager.stop();
    }
  });

  it('reports the rotation in the health view, with no secret in the answer', async () => {
    ups.rotateSecret(CLIENT, OLD_SECRET);
    const { url } = await startTestGateway({
      clientKey: CLIENT_KEY,
      accounts: [
        {
          id: 'ups-health',
          carrier: 'ups',
          urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
          credentials: { clientId: CLIENT, clientSecret: OLD_SECRET, nextClientSecret: NEW_SECRET },
        },
      ],
    });
    const track = await fetch(`${url}/v1/carriers/ups-health/api/track/v1/details/1Z12345E0205271688`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    expect(track.status).toBe(200);
    const response = await fetch(`${url}/v1/health/carriers/ups-health`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    const health = JSON.parse(text) as { token: { secretRotation?: unknown } };
    expect(health.token.secretRotation).toMatchObject({ inUse: 'current', next: 'rejected' });
    expect(text).not.toContain(OLD_SECRET);
    expect(text).not.toContain(NEW_SECRET);
  });

  it('refuses a next secret where there is nothing to try it on', () => {
    expect(() =>
      accountsFrom(`
  - id: ups-same
    carrier: ups
    credentials: { clientId: ${CLIENT}, clientSecret: "${OLD_SECRET}", nextClientSecret: "${OLD_SECRET}" }
`),
    ).toThrow(/credentials\.nextClientSecret: is the same as clientSecret/);
  });
});
