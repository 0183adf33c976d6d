/**
 * @module test/carriers/laposte/gateway
 *
 * Owns the proof that La Poste accounts work through a real gateway against the La Poste
 * simulator, in both ways they can be set up:
 *
 * - `carrier: laposte` (static Okapi key, embedded mode): a proxied Suivi GET succeeds with the
 *   account's X-Okapi-Key in place of whatever the shop sent; a refused key comes back as La
 *   Poste's own 401, is never retried, and shows as `credentials_rejected`; a spent quota comes
 *   back as La Poste's 429 and changes nothing.
 * - the OAuth mode (`carrier: oauth2`, authorization code + PKCE, single-use rotating refresh
 *   tokens): onboarding through `/v1/accounts/{id}/authorize` completes with S256 PKCE; three
 *   instances sharing one Redis refresh concurrently many times and the simulator never sees a
 *   refresh token twice; and, as a control, two embedded gateways with the same seed DO burn
 *   the family. The control is the production incident; the shared engine is the fix.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  LAPOSTE_PATHS,
  startLaposteSimulator,
  type LaposteSimulatorHandle,
} from '../../../carriers/laposte/simulator.js';
import type { Gateway } from '../../../src/gateway.js';
import { manualClock } from '../../../src/sim/index.js';
import { accountsFrom, startInstance, type TestInstance } from '../../support/engine.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { Browser } from '../../support/oidc-server.js';
import { freePort, TestRedis } from '../../support/redis-server.js';
import { closeTestGateways, startTestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `laposte-shop-key-${randomUUID()}`;
const ADMIN_KEY = `laposte-admin-key-${randomUUID()}`;
const APP = { clientId: 'laposte-app', clientSecret: `okapi-key-${randomUUID()}` };
const QUOTA_APP = { clientId: 'laposte-quota-app', clientSecret: `okapi-key-quota-${randomUUID()}` };
const WRONG_KEY = `okapi-key-wrong-${randomUUID()}`;
/** Reserved characters: the oauth2 adapter form-url-encodes Basic credentials (RFC 6749 2.3.1). */
const OAUTH_APP = { clientId: 'laposte-oauth-app', clientSecret: `lp+oauth:secret/${randomUUID()}` };
registerSecrets(
  CLIENT_KEY,
  ADMIN_KEY,
  APP.clientSecret,
  QUOTA_APP.clientSecret,
  WRONG_KEY,
  OAUTH_APP.clientSecret,
);

const ID = '1A00915820380';
const SUIVI = `${LAPOSTE_PATHS.suivi}${ID}?lang=fr_FR`;
const UNAUTHORIZED = { code: 'UNAUTHORIZED', message: 'This action requires an authorization' };

interface Reply {
  status: number;
  body: unknown;
}

afterEach(closeTestGateways);

/** An embedded-mode gateway (no Redis: each has its own memory store). */
const startGateway = (accounts: Record<string, unknown>[], config: Record<string, unknown> = {}, port = 0) =>
  startTestGateway({ name: 'laposte', clientKey: CLIENT_KEY, accounts, config, port });

/** A shop's call through the proxy; no configured secret may appear in what comes back. */
async function proxied(
  base: string,
  account: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${base}/v1/carriers/${account}${path}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}`, accept: 'application/json', ...headers },
  });
  const text = await response.text();
  const wire = `${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n\n${text}`;
  for (const secret of [APP.clientSecret, QUOTA_APP.clientSecret, WRONG_KEY, OAUTH_APP.clientSecret]) {
    expect(wire.includes(secret), `a secret in the answer to ${path}`).toBe(false);
  }
  return { status: response.status, body: JSON.parse(text) as unknown };
}

describe('laposte (static X-Okapi-Key) through an embedded gateway', () => {
  const clock = manualClock(1_700_000_000_000);
  let sim: LaposteSimulatorHandle;
  let base = '';
  let gateway: Gateway;

  const account = (id: string, key: string, clientId = APP.clientId) => ({
    id,
    carrier: 'laposte',
    urls: { api: sim.url },
    credentials: { clientId, clientSecret: key },
  });

  beforeAll(async () => {
    sim = await startLaposteSimulator({
      clients: [APP, QUOTA_APP],
      clock,
      quota: { limit: 2, windowMs: 1000 },
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  async function start(): Promise<void> {
    ({ gateway, url: base } = await startGateway([
      account('laposte', APP.clientSecret),
      account('laposte-wrong', WRONG_KEY),
      account('laposte-quota', QUOTA_APP.clientSecret, QUOTA_APP.clientId),
    ]));
    clock.advance(1000); // a fresh quota window per test
    sim.resetStats();
  }

  it("a proxied Suivi GET succeeds with the account's X-Okapi-Key in place of the shop's own", async () => {
    await start();
    // The shop's X-Okapi-Key is wrong: the simulator would answer 401 to it, or to the two values joined.
    const reply = await proxied(base, 'laposte', SUIVI, { 'x-okapi-key': WRONG_KEY });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject([{ returnCode: 200, lang: 'fr_FR', shipment: { idShip: ID } }]);
    expect(sim.stats()).toMatchObject({ apiRequests: 1, apiRejections: 0, tokenRequests: 0 });
    const status = await gateway.engine.manager('laposte').status();
    expect(status).toMatchObject({ state: 'ok', store: 'static', credentialRejections: 0, token: null });
  });

  it("a refused key: La Poste's 401 passed through, not retried, and the account shows credentials_rejected", async () => {
    await start();
    const reply = await proxied(base, 'laposte-wrong', SUIVI);
    expect(reply).toEqual({ status: 401, body: UNAUTHORIZED });
    // A GET would be retried for a token account; a static key cannot be refreshed.
    expect(sim.stats()).toMatchObject({ apiRequests: 1, apiRejections: 1 });
    const manager = gateway.engine.manager('laposte-wrong');
    await manager.whenIdle();
    const status = await manager.status();
    expect(status).toMatchObject({ state: 'credentials_rejected', credentialRejections: 1 });
    expect(status.lastCredentialRejectionAt).toEqual(expect.any(String));
    // The account with the right key is not affected.
    expect((await gateway.engine.manager('laposte').status()).state).toBe('ok');
  });

  it("a spent quota: La Poste's 429 passed through, not retried, and not a credential rejection", async () => {
    await start();
    expect((await proxied(base, 'laposte-quota', SUIVI)).status).toBe(200);
    expect((await proxied(base, 'laposte-quota', SUIVI)).status).toBe(200);
    const over = await proxied(base, 'laposte-quota', SUIVI);
    expect(over).toEqual({
      status: 429,
      body: { code: 'TOO_MANY_REQUESTS', message: 'max quota reached (2 calls per 1s)' },
    });
    expect(sim.stats().apiRequests).toBe(3);
    expect(await gateway.engine.manager('laposte-quota').status()).toMatchObject({
      state: 'ok',
      credentialRejections: 0,
    });
    clock.advance(1000);
    expect((await proxied(base, 'laposte-quota', SUIVI)).status).toBe(200);
  });
});

/** An oauth2 account for the simulator's OAuth mode, as YAML for test/support/engine.ts. */
function oauthAccountYaml(id: string, sim: LaposteSimulatorHandle, seed: string): string {
  return `
  - id: ${id}
    carrier: oauth2
    grant: authorization_code
    urls: { token: "${sim.url}${LAPOSTE_PATHS.token}", api: "${sim.url}" }
    credentials: { clientId: ${OAUTH_APP.clientId}, clientSecret: ${JSON.stringify(OAUTH_APP.clientSecret)}, refreshToken: "${seed}" }
`;
}

describe('La Poste OAuth mode (authorization code + PKCE, single-use refresh tokens)', () => {
  // The OAuth mode is reached as a `laposte` account naming the grant, or as a generic `oauth2` one.
  it.each(['laposte', 'oauth2'])(
    'onboarding a %s account through /v1/accounts/{id}/authorize: S256 challenge, code exchange with the verifier, then Suivi calls',
    async (carrier) => {
      const sim = await startLaposteSimulator({ clients: [OAUTH_APP], oauth: true });
      try {
        const port = await freePort();
        const publicUrl = `http://127.0.0.1:${port}`;
        const { gateway, url } = await startGateway(
          [
            {
              id: 'laposte-onboard',
              carrier,
              grant: 'authorization_code',
              urls: {
                authorize: `${sim.url}${LAPOSTE_PATHS.authorize}`,
                token: `${sim.url}${LAPOSTE_PATHS.token}`,
                api: sim.url,
              },
              credentials: OAUTH_APP,
              authorization: { pkce: true },
            },
          ],
          { publicUrl, admins: [{ id: 'ops', apiKey: ADMIN_KEY }] },
          port,
        );
        const start = await fetch(`${url}/v1/accounts/laposte-onboard/authorize`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
          redirect: 'manual',
        });
        expect(start.status).toBe(302);
        const operator = new Browser();
        const authorizeUrl = await operator.openStartLink(start.headers.get('location')!);
        expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${sim.url}${LAPOSTE_PATHS.authorize}`);
        expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
        expect(authorizeUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);

        // The simulator stands in for the consenting user and sends the browser back with a code.
        const consent = await fetch(authorizeUrl, { redirect: 'manual' });
        expect(consent.status).toBe(302);
        const callback = new URL(consent.headers.get('location')!);
        expect(`${callback.origin}${callback.pathname}`).toBe(`${publicUrl}/v1/oauth/callback`);
        registerSecrets(callback.searchParams.get('code')!);
        const done = await fetch(callback, {
          headers: { accept: 'application/json', cookie: operator.cookieHeader(callback) },
        });
        expect(done.status).toBe(200);
        expect(await done.json()).toMatchObject({
          status: 'authorized',
          account: 'laposte-onboard',
          refreshToken: true,
        });

        const token = gateway.engine.manager('laposte-onboard').peek();
        expect(token).toBeDefined();
        registerSecrets(token!.accessToken, token!.refreshToken ?? '');
        expect(sim.isAccessTokenValid(token!.accessToken)).toBe(true);
        // Suivi takes the token in the access_token cookie (its JWT scheme), which the laposte
        // descriptor sends; a generic oauth2 account sends a Bearer, which Suivi does not declare.
        if (carrier === 'laposte') {
          const reply = await proxied(url, 'laposte-onboard', SUIVI);
          expect(reply).toMatchObject({ status: 200, body: [{ returnCode: 200 }] });
        }
        expect(sim.stats()).toMatchObject({ tokenRequests: 1, refreshTokenReuses: 0, familiesRevoked: 0 });
      } finally {
        registerIssuedTokens(sim);
        await closeTestGateways();
        await sim.close();
      }
    },
  );

  describe('three instances sharing one Redis', () => {
    const ROUNDS = 20;
    let redis: TestRedis;
    let sim: LaposteSimulatorHandle;
    let instances: TestInstance[] = [];

    beforeAll(async () => {
      redis = await TestRedis.start();
      sim = await startLaposteSimulator({ clients: [OAUTH_APP], oauth: true });
    });
    afterAll(async () => {
      registerIssuedTokens(sim);
      await Promise.all(instances.map((instance) => instance.close()));
      await sim?.close();
      await redis?.kill();
    });

    it(`refresh concurrently ${ROUNDS} times without ever presenting a refresh token twice`, async () => {
      const seed = sim.issueRefreshToken(OAUTH_APP.clientId);
      registerSecrets(seed);
      const accounts = accountsFrom(oauthAccountYaml('laposte-oauth', sim, seed));
      instances = await Promise.all([0, 1, 2].map(() => startInstance(redis.url, accounts)));
      const managers = instances.map((instance) => instance.engine.manager('laposte-oauth'));

      // All three want the first token at once: only one may spend the seed.
      await Promise.all(managers.map((manager) => manager.getToken()));
      for (let round = 0; round < ROUNDS; round += 1) {
        // Every instance is told at the same moment that its token was rejected.
        await Promise.all(
          managers.map(async (manager) => {
            const current = manager.peek() ?? (await manager.getToken());
            return manager.invalidate(current.accessToken);
          }),
        );
      }
      await Promise.all(managers.map((manager) => manager.whenIdle()));

      const stats = sim.stats();
      expect(stats.refreshTokenReuses).toBe(0);
      expect(stats.familiesRevoked).toBe(0);
      // The seed's refresh, then exactly one per round: the instance holding the lock refreshes,
      // the other two adopt its token from Redis (without the lock each would ask, 3 per round).
      expect(stats.tokenRequests).toBe(ROUNDS + 1);

      const latest = await Promise.all(managers.map((manager) => manager.getToken()));
      expect(new Set(latest.map((token) => token.accessToken)).size).toBe(1);
      expect(sim.isAccessTokenValid(latest[0]!.accessToken)).toBe(true);
      const suivi = await fetch(`${sim.url}${SUIVI}`, {
        headers: { cookie: `access_token=${latest[0]!.accessToken}`, accept: 'application/json' },
      });
      expect(suivi.status).toBe(200);
      for (const manager of managers) expect((await manager.status()).state).toBe('ok');
    });
  });

  it('control: two embedded gateways (memory stores) with the same seed burn the family, as in production', async () => {
    const sim = await startLaposteSimulator({ clients: [OAUTH_APP], oauth: true });
    try {
      const seed = sim.issueRefreshToken(OAUTH_APP.clientId);
      registerSecrets(seed);
      const account = {
        id: 'laposte-oauth',
        carrier: 'oauth2',
        grant: 'authorization_code',
        urls: { token: `${sim.url}${LAPOSTE_PATHS.token}`, api: sim.url },
        credentials: { ...OAUTH_APP, refreshToken: seed },
      };
      const gateways = await Promise.all([startGateway([account]), startGateway([account])]);
      const results = await Promise.allSettled(
        gateways.map(({ gateway }) => gateway.engine.manager('laposte-oauth').getToken()),
      );

      const stats = sim.stats();
      expect(stats.refreshTokenReuses).toBe(1);
      expect(stats.familiesRevoked).toBe(1);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'ERR_TOKEN_INVALID_GRANT',
        carrierCode: 'invalid_grant',
      });
      // The winner's token died with the family: its next call fails at La Poste.
      const winner = (won[0] as PromiseFulfilledResult<{ accessToken: string }>).value;
      registerSecrets(winner.accessToken);
      expect(sim.isAccessTokenValid(winner.accessToken)).toBe(false);
      const winnerIndex = results.indexOf(won[0]!);
      const reply = await proxied(gateways[winnerIndex]!.url, 'laposte-oauth', SUIVI);
      expect(reply.status).toBeGreaterThanOrEqual(500);
      expect(reply.body).toMatchObject({
        code: expect.stringMatching(/^ERR_(TOKEN_INVALID_GRANT|REAUTHORIZATION_REQUIRED)$/),
      });
      for (const { gateway } of gateways) {
        expect((await gateway.engine.manager('laposte-oauth').status()).state).toBe(
          'reauthorization_required',
        );
      }
    } finally {
      registerIssuedTokens(sim);
      await closeTestGateways();
      await sim.close();
    }
  });
});
