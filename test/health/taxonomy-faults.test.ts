/**
 * @module test/health/taxonomy-faults.test
 * Each failure class of src/core/failures.ts produced end to end: a fault switched on in a real
 * carrier simulator on loopback (or in DNS, TLS or Redis), traffic through an embedded gateway's
 * proxy (`/v1/carriers/{account}/...`) or `POST /v1/shipments`, then the account's
 * `GET /v1/health/carriers/{account}` must count the class in `failures['5m']`. One account per
 * class, so no class leaks into another's count; where two classes could be confused (throttling,
 * expiry, revocation), the test also checks the others stay at zero.
 *
 * Where the class comes from:
 * - token endpoint (the token engine's observer): socket reset, latency beyond `timeouts.tokenMs`,
 *   5xx, 429, a rotated secret, a withdrawn scope or grant (the OAuth 2.0 simulator's client
 *   registration), a body encoding the server refuses, `expires_in` 0, HTTP 200 with an error, a
 *   refresh token whose family the server revoked after a reuse, a `.invalid` host, https to a
 *   plain-http port, a refused connection, and the JWT checks (another audience, a pinned key that
 *   did not sign the token);
 * - carrier API answers (the proxy): 401 on a young token (premature expiry) and on one past 90 %
 *   of its life (expiry), 401 on a static key, 403, 400, 5xx, no answer within `timeouts.apiMs`, 429;
 * - the gateway (`POST /v1/shipments`, the only path that records token failures the carrier
 *   never saw): reauthorization required, a refresh lock held elsewhere, Redis refusing the token
 *   engine's commands (Redis mode).
 *
 * Produced elsewhere:
 * - `authorization.revoked`: test/health/taxonomy-revoked.test.ts. A carrier API answers a revoked
 *   token like an expired one (RFC 6750 3.1 `invalid_token`; no carrier documents an API code of
 *   its own for it), so the proxy cannot tell them apart; the synthetic probe's `introspect` step
 *   (RFC 7662, accounts with `oauth2.introspectionUrl`) can, and the OAuth 2.0 simulator's
 *   revocation fault (`revokeAccessTokens`) produces it. That needs a gateway with a `probes:`
 *   block, which this file's gateway leaves out so no probe disturbs the faults here.
 *
 * Classes no simulator fault can produce:
 * - `gateway.internal`: the class of gateway error codes without a class of their own (a bug, or
 *   `ERR_DEPENDENT_TOKEN_NOT_CONFIGURED`, a configuration gap); no carrier behaviour leads there.
 * A full Redis outage is not used for `gateway.redis_unavailable`: shipments refuse before any
 * attempt (their idempotency record needs Redis), the proxy records no token failure, and history
 * written while Redis is away is dropped. Redis refusing only the token keys (ACL) shows the class.
 */
import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';
import { exportSPKI, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  DHL_EXPRESS_BASE_PATHS,
  DHL_EXPRESS_RESOURCES,
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../carriers/dhl-express/simulator.js';
import { startOAuth2Simulator, type OAuth2SimulatorHandle } from '../../carriers/oauth2/simulator.js';
import {
  startUpsSimulator,
  upsExampleShipmentRequest,
  type UpsSimulatorHandle,
} from '../../carriers/ups/simulator.js';
import type { AccountHealth } from '../../src/health/health-service.js';
import type { FailureClass } from '../../src/core/failure-classes.js';
import type { SimFaults } from '../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { postShipment } from '../support/gateway-client.js';

const CLIENT_KEY = `taxonomy-shop-key-${randomUUID()}`;
const client = (name: string) => ({ clientId: `tx-${name}`, clientSecret: `tx-${name}-${randomUUID()}` });
const OAUTH = client('oauth');
/** Own clients where the fault is per client (secret rotation, registration changes). */
const OAUTH_ROTATING = client('oauth-rotating');
const OAUTH_SCOPED = client('oauth-scoped');
const OAUTH_GRANTS = client('oauth-grants');
const UPS = client('ups');
const DHL = client('dhl');
const DHL_ROTATING = client('dhl-rotating');
const CLIENTS = [OAUTH, OAUTH_ROTATING, OAUTH_SCOPED, OAUTH_GRANTS, UPS, DHL, DHL_ROTATING];
const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');
registerSecrets(
  CLIENT_KEY,
  ...CLIENTS.flatMap(({ clientId, clientSecret }) => [clientSecret, basic(clientId, clientSecret)]),
);

/** Retries off (one attempt, so one fault is one failure) and a short lock wait. */
const ENGINE = {
  manager: {
    retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1_000 },
    lockWaitMs: 300,
  },
};

const WAIT: FailureClass[] = ['token_endpoint.throttled', 'downstream.throttled'];
const EXPIRY: FailureClass[] = ['authorization.expired', 'authorization.premature_expiry'];
const RECONSENT: FailureClass[] = [
  'authorization.revoked',
  'token_endpoint.invalid_grant',
  'gateway.reauthorization_required',
];

const XAV_PATH = '/api/addressvalidation/v2/1';
const XAV_BODY = {
  XAVRequest: { AddressKeyFormat: { AddressLine: ['26601 ALISO CREEK ROAD'], CountryCode: 'US' } },
};
const SHIP_PATH = '/api/shipments/v2409/ship';
const DHL_PROBE = `${DHL_EXPRESS_RESOURCES.addressValidate}?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague`;

async function proxy(
  gateway: TestGateway,
  account: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gateway.url}/v1/carriers/${account}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

const ship = (gateway: TestGateway, account: string) =>
  postShipment(gateway, CLIENT_KEY, { accounts: [account] });

/** `failures['5m']` as an operator reads it (the recorder flushes before the report). */
async function recentFailures(
  gateway: TestGateway,
  account: string,
): Promise<Partial<Record<FailureClass, number>>> {
  const response = await fetch(`${gateway.url}/v1/health/carriers/${account}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as AccountHealth).failures['5m'];
}

async function expectClass(
  gateway: TestGateway,
  account: string,
  expected: FailureClass,
  confusable: FailureClass[] = [],
): Promise<void> {
  const failures = await recentFailures(gateway, account);
  expect(failures[expected], JSON.stringify(failures)).toBeGreaterThanOrEqual(1);
  for (const other of confusable.filter((name) => name !== expected)) {
    expect(failures[other], `${other} in ${JSON.stringify(failures)}`).toBeUndefined();
  }
}

/** Spends a refresh token at the simulator, so the gateway's later use of it is a reuse. */
async function spend(url: string, form: Record<string, string>, authorization: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  // Only the tokens: the answer's other fields (`status: approved`, `issued_at` in epoch ms, the
  // client id) are not secret, and an epoch-ms value matches any log line written in that
  // millisecond.
  const answer = (await response.json()) as Record<string, unknown>;
  registerSecrets(
    ...['access_token', 'refresh_token']
      .map((field) => answer[field])
      .filter((value): value is string => typeof value === 'string'),
  );
}

/** A UPS refresh token the simulator has already seen redeemed. */
async function spentUpsSeed(ups: UpsSimulatorHandle): Promise<string> {
  const seed = ups.issueRefreshToken(UPS.clientId);
  registerSecrets(seed);
  await spend(
    `${ups.url}/security/v1/oauth/refresh`,
    { grant_type: 'refresh_token', refresh_token: seed },
    `Basic ${basic(UPS.clientId, UPS.clientSecret)}`,
  );
  return seed;
}

describe('each failure class from a fault, as GET /v1/health/carriers counts it', () => {
  let oauth: OAuth2SimulatorHandle;
  let ups: UpsSimulatorHandle;
  let dhl: DhlExpressSimulatorHandle;
  let gateway: TestGateway;

  beforeAll(async () => {
    oauth = await startOAuth2Simulator({ clients: [OAUTH, OAUTH_ROTATING, OAUTH_SCOPED, OAUTH_GRANTS] });
    ups = await startUpsSimulator({ clients: [UPS] });
    dhl = await startDhlExpressSimulator({ clients: [DHL, DHL_ROTATING] });

    const oauthSeed = oauth.issueRefreshToken(OAUTH.clientId);
    registerSecrets(oauthSeed);
    await spend(
      `${oauth.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: oauthSeed },
      `Basic ${basic(OAUTH.clientId, OAUTH.clientSecret)}`,
    );
    const upsSeed = await spentUpsSeed(ups);
    // The key a rotated signing key leaves pinned in the configuration: it never signed anything here.
    const stalePublicKey = await exportSPKI((await generateKeyPair('RS256')).publicKey);

    const oauthAccount = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      carrier: 'oauth2',
      urls: { token: `${oauth.url}/oauth/token`, api: oauth.url },
      credentials: OAUTH,
      ...extra,
    });
    const upsAccount = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      carrier: 'ups',
      urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
      credentials: UPS,
      shipping: { shipperNumber: 'A1B2C3' },
      ...extra,
    });
    const dhlAccount = (id: string, credentials: typeof DHL) => ({
      id,
      carrier: 'dhl-express',
      urls: { api: `${dhl.url}${DHL_EXPRESS_BASE_PATHS.production}` },
      credentials,
    });
    const accounts = [
      oauthAccount('o-reset'),
      oauthAccount('o-slow', { timeouts: { tokenMs: 200 } }),
      oauthAccount('o-5xx'),
      oauthAccount('o-429'),
      oauthAccount('o-rotated', { credentials: OAUTH_ROTATING }),
      oauthAccount('o-scope-drift', { credentials: OAUTH_SCOPED }),
      oauthAccount('o-grant-withdrawn', { credentials: OAUTH_GRANTS }),
      oauthAccount('o-json', { oauth2: { bodyEncoding: 'json' } }),
      oauthAccount('o-zero-lifetime'),
      oauthAccount('o-error-200'),
      oauthAccount('o-revoked-family', {
        grant: 'authorization_code',
        credentials: { ...OAUTH, refreshToken: oauthSeed },
      }),
      oauthAccount('o-audience', { token: { expectedAudience: 'https://elsewhere.example/api' } }),
      oauthAccount('o-signature', { token: { publicKey: stalePublicKey } }),
      oauthAccount('o-dns', { urls: { token: 'http://token-endpoint.invalid/oauth/token', api: oauth.url } }),
      oauthAccount('o-tls', {
        urls: { token: `https://127.0.0.1:${oauth.port}/oauth/token`, api: oauth.url },
      }),
      oauthAccount('o-refused'),
      upsAccount('u-premature'),
      upsAccount('u-expired', { refresh: { marginSeconds: 0, windowSeconds: 0 } }),
      upsAccount('u-forbidden'),
      upsAccount('u-validation'),
      upsAccount('u-5xx'),
      upsAccount('u-hang', { timeouts: { apiMs: 300 } }),
      upsAccount('u-reauth', { grant: 'authorization_code', credentials: { ...UPS, refreshToken: upsSeed } }),
      dhlAccount('d-429', DHL),
      dhlAccount('d-rotated', DHL_ROTATING),
    ];
    gateway = await startTestGateway({ name: 'taxonomy', clientKey: CLIENT_KEY, accounts, engine: ENGINE });
  });

  afterEach(async () => {
    await oauth.resetFaults();
    await ups.resetFaults();
    await dhl.resetFaults();
  });

  afterAll(async () => {
    registerIssuedTokens(oauth, ups, dhl);
    await gateway?.close();
    await oauth?.close();
    await ups?.close();
    await dhl?.close();
  });

  describe('token endpoint', () => {
    it.each<{
      what: string;
      account: string;
      faults: Partial<SimFaults>;
      status: number;
      failureClass: FailureClass;
      notAlso?: FailureClass[];
    }>([
      {
        what: 'the connection is reset after the request was sent',
        account: 'o-reset',
        faults: { outage: 'reset' },
        status: 502,
        failureClass: 'token_endpoint.unreachable',
        notAlso: ['transport.connect'],
      },
      {
        what: 'the endpoint answers after timeouts.tokenMs',
        account: 'o-slow',
        faults: { tokenLatencyMs: 1_000 },
        status: 504,
        failureClass: 'token_endpoint.timeout',
      },
      {
        what: '503 temporarily_unavailable',
        account: 'o-5xx',
        faults: { tokenServerErrors: 1 },
        status: 502,
        failureClass: 'token_endpoint.server_error',
      },
      {
        what: '429 SpikeArrestViolation, never an expiry or a revocation',
        account: 'o-429',
        faults: { throttle: { count: 1 } },
        status: 503,
        failureClass: 'token_endpoint.throttled',
        notAlso: [...EXPIRY, ...RECONSENT, 'token_endpoint.invalid_request'],
      },
      {
        what: 'expires_in 0',
        account: 'o-zero-lifetime',
        faults: { tokenLifetimeSeconds: 0 },
        status: 502,
        failureClass: 'token_endpoint.malformed_response',
      },
      {
        what: 'HTTP 200 carrying invalid_client',
        account: 'o-error-200',
        faults: { errorInSuccessBody: true },
        status: 502,
        failureClass: 'token_endpoint.error_in_success_body',
        notAlso: ['token_endpoint.invalid_client'],
      },
    ])('$failureClass: $what', async ({ account, faults, status, failureClass, notAlso }) => {
      await oauth.setFaults(faults);
      expect((await proxy(gateway, account, '/api/resource')).status).toBe(status);
      await expectClass(gateway, account, failureClass, notAlso);
    });

    it('token_endpoint.invalid_client: the secret was rotated at the carrier', async () => {
      const rotated = `tx-rotated-${randomUUID()}`;
      registerSecrets(rotated);
      oauth.rotateSecret(OAUTH_ROTATING.clientId, rotated);
      expect((await proxy(gateway, 'o-rotated', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-rotated', 'token_endpoint.invalid_client', [...WAIT, ...RECONSENT]);
    });

    it('token_endpoint.invalid_scope: the carrier withdrew the scope the client asks for', async () => {
      oauth.register(OAUTH_SCOPED.clientId, { scopes: ['tracking'] });
      expect((await proxy(gateway, 'o-scope-drift', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-scope-drift', 'token_endpoint.invalid_scope');
    });

    it('token_endpoint.unauthorized_client: the carrier withdrew the client_credentials grant', async () => {
      oauth.register(OAUTH_GRANTS.clientId, { grants: ['password'] });
      expect((await proxy(gateway, 'o-grant-withdrawn', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-grant-withdrawn', 'token_endpoint.unauthorized_client', [
        'token_endpoint.invalid_client',
      ]);
    });

    it('token_endpoint.invalid_request: the server refuses a JSON token request (RFC 6749 3.2)', async () => {
      expect((await proxy(gateway, 'o-json', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-json', 'token_endpoint.invalid_request');
    });

    it('token_endpoint.invalid_grant: a reused refresh token got its family revoked', async () => {
      expect((await proxy(gateway, 'o-revoked-family', '/api/resource')).status).toBe(502);
      expect(oauth.stats().familiesRevoked).toBeGreaterThanOrEqual(1);
      await expectClass(gateway, 'o-revoked-family', 'token_endpoint.invalid_grant', [...WAIT, ...EXPIRY]);
    });
  });

  describe('token checks', () => {
    it('authorization.audience: the carrier issues tokens for another audience', async () => {
      expect((await proxy(gateway, 'o-audience', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-audience', 'authorization.audience', ['authorization.signature']);
    });

    it('authorization.signature: the pinned key did not sign the token (the carrier rotated its key)', async () => {
      expect((await proxy(gateway, 'o-signature', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-signature', 'authorization.signature');
    });
  });

  describe('transport', () => {
    it('transport.dns: the token host does not resolve', async () => {
      expect((await proxy(gateway, 'o-dns', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-dns', 'transport.dns', ['token_endpoint.unreachable']);
    });

    it('transport.tls: https to a port that speaks plain http', async () => {
      expect((await proxy(gateway, 'o-tls', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-tls', 'transport.tls', ['token_endpoint.unreachable']);
    });

    it('transport.connect: the token endpoint refuses connections', async () => {
      await oauth.setFaults({ outage: 'refuse' });
      expect((await proxy(gateway, 'o-refused', '/api/resource')).status).toBe(502);
      await expectClass(gateway, 'o-refused', 'transport.connect', ['token_endpoint.unreachable']);
    });
  });

  describe('carrier API answers', () => {
    it('authorization.premature_expiry: 401 on a token far from its announced expiry', async () => {
      await ups.setFaults({ prematureExpirySeconds: 0 });
      expect((await proxy(gateway, 'u-premature', XAV_PATH, XAV_BODY)).status).toBe(401);
      await expectClass(gateway, 'u-premature', 'authorization.premature_expiry', [
        ...EXPIRY,
        ...WAIT,
        ...RECONSENT,
      ]);
    });

    it('authorization.expired: 401 on a token past 90 % of its life', async () => {
      await ups.setFaults({ tokenLifetimeSeconds: 5 });
      expect((await proxy(gateway, 'u-expired', XAV_PATH, XAV_BODY)).status).toBe(200);
      const token = gateway.gateway.engine.manager('u-expired').peek()!;
      const lifetime = token.expiresAt - token.obtainedAt;
      // The carrier drops it at 90.5 % of its life; used at 92 %, the gateway still holds it as
      // fresh (no margin) until 100 %, which leaves 400 ms for the call.
      await ups.setFaults({ prematureExpirySeconds: (lifetime * 0.905) / 1000 });
      await new Promise((resolve) => setTimeout(resolve, token.obtainedAt + lifetime * 0.92 - Date.now()));
      expect(gateway.gateway.engine.manager('u-expired').peek()?.accessToken).toBe(token.accessToken);
      expect((await proxy(gateway, 'u-expired', XAV_PATH, XAV_BODY)).status).toBe(401);
      await expectClass(gateway, 'u-expired', 'authorization.expired', [...EXPIRY, ...WAIT, ...RECONSENT]);
    });

    it('authorization.rejected: 401 on a static key the carrier no longer accepts', async () => {
      const rotated = `tx-dhl-rotated-${randomUUID()}`;
      registerSecrets(rotated, basic(DHL_ROTATING.clientId, rotated));
      dhl.rotateSecret(DHL_ROTATING.clientId, rotated);
      expect((await proxy(gateway, 'd-rotated', DHL_PROBE)).status).toBe(401);
      await expectClass(gateway, 'd-rotated', 'authorization.rejected', [...EXPIRY, ...WAIT]);
    });

    it.each([
      { failureClass: 'authorization.scope', account: 'u-forbidden', fault: 'forbidden', status: 403 },
      {
        failureClass: 'downstream.server_error',
        account: 'u-5xx',
        fault: 'server_error_after_create',
        status: 500,
      },
      // No answer within timeouts.apiMs.
      { failureClass: 'downstream.timeout', account: 'u-hang', fault: 'hang_after_create', status: 504 },
    ] as const)(
      '$failureClass: a label call answered $status ($fault)',
      async ({ failureClass, account, fault, status }) => {
        await ups.setFaults({ shipmentFault: { kind: fault, count: 1 } });
        expect((await proxy(gateway, account, SHIP_PATH, upsExampleShipmentRequest())).status).toBe(status);
        await expectClass(gateway, account, failureClass);
      },
    );

    // Issue 12.11: the client's own 4xx is the carrier answering as documented, not its failure.
    it('a label call answered 400 (validation_error) records no failure at all', async () => {
      await ups.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
      expect((await proxy(gateway, 'u-validation', SHIP_PATH, upsExampleShipmentRequest())).status).toBe(400);
      expect(await recentFailures(gateway, 'u-validation')).toEqual({});
    });

    it('downstream.throttled: 429 from the API, never an auth failure', async () => {
      await dhl.setFaults({ throttle: { count: 1 } });
      expect((await proxy(gateway, 'd-429', DHL_PROBE)).status).toBe(429);
      await expectClass(gateway, 'd-429', 'downstream.throttled', [
        ...EXPIRY,
        ...RECONSENT,
        'authorization.rejected',
      ]);
    });
  });

  it('gateway.reauthorization_required: after the refresh token was rejected, a shipment finds the account waiting for consent', async () => {
    // The first use of the spent refresh token: invalid_grant, and the account is marked.
    expect((await proxy(gateway, 'u-reauth', '/api/track/v1/details/1Z12345E0205271688')).status).toBe(502);
    const shipped = await ship(gateway, 'u-reauth');
    expect(shipped).toMatchObject({
      status: 503,
      body: {
        attempts: [{ outcome: 'token_unavailable', failure: { code: 'ERR_REAUTHORIZATION_REQUIRED' } }],
      },
    });
    await expectClass(gateway, 'u-reauth', 'gateway.reauthorization_required', [...WAIT, ...EXPIRY]);
  });
});

describe('gateway classes that need Redis', () => {
  let redis: TestRedis;
  let direct: Redis;
  let ups: UpsSimulatorHandle;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await TestRedis.start();
    direct = redis.client();
    ups = await startUpsSimulator({ clients: [UPS] });
    const seed = ups.issueRefreshToken(UPS.clientId);
    registerSecrets(seed);
    const upsAccount = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      carrier: 'ups',
      urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
      credentials: UPS,
      shipping: { shipperNumber: 'A1B2C3' },
      ...extra,
    });
    const accounts = [
      upsAccount('r-lock'),
      // Rotating refresh tokens are refreshed only under the shared lock, never without Redis.
      upsAccount('r-redis', { grant: 'authorization_code', credentials: { ...UPS, refreshToken: seed } }),
    ];
    gateway = await startTestGateway({
      name: 'taxonomy',
      redis,
      clientKey: CLIENT_KEY,
      accounts,
      engine: ENGINE,
    });
  });

  afterAll(async () => {
    registerIssuedTokens(ups);
    await gateway?.close();
    direct?.disconnect();
    await ups?.close();
    await redis?.kill();
  });

  it('gateway.lock_timeout: another holder keeps the refresh lock', async () => {
    await direct.set('cg:lock:token:{r-lock}', 'someone-else', 'PX', 30_000);
    try {
      const shipped = await ship(gateway, 'r-lock');
      expect(shipped).toMatchObject({
        status: 503,
        body: { attempts: [{ failure: { code: 'ERR_LOCK_TIMEOUT' } }] },
      });
    } finally {
      await direct.del('cg:lock:token:{r-lock}');
    }
    await expectClass(gateway, 'r-lock', 'gateway.lock_timeout', ['gateway.redis_unavailable']);
  });

  it('gateway.redis_unavailable: Redis refuses the token engine (ACL on its keys) while shipments still work', async () => {
    // Idempotency records, breakers, overrides and health history stay allowed; token keys do not.
    await direct.call(
      'ACL',
      'SETUSER',
      'default',
      'resetkeys',
      '~cg:idempotency:*',
      '~cg:breaker*',
      '~cg:override*',
      '~cg:health:*',
    );
    try {
      const shipped = await ship(gateway, 'r-redis');
      expect(shipped).toMatchObject({
        status: 503,
        body: { attempts: [{ failure: { code: 'ERR_REDIS_UNAVAILABLE' } }] },
      });
      // Written while the token keys were refused: history is not a token key.
      await gateway.gateway.recorder.flush();
    } finally {
      await direct.call('ACL', 'SETUSER', 'default', 'allkeys');
    }
    await expectClass(gateway, 'r-redis', 'gateway.redis_unavailable', ['gateway.lock_timeout']);
    expect(ups.stats().tokenRequests).toBe(0);
  });
});
