/**
 * @module test/carriers/oauth2/gateway
 *
 * Owns the proof that the generic `oauth2` adapter (carriers/oauth2, configured only by the
 * account's `oauth2:` and `token:` blocks) works against a standards-following authorization
 * server: the OAuth 2.0 simulator (RFC 6749 grants, RS256 JWT access tokens per RFC 9068, JWKS,
 * refresh-token rotation, Bearer-protected resources per RFC 6750). Gateways run in embedded
 * mode. Where the wire format matters, a tap (a recording server that forwards to the
 * simulator) shows exactly what the gateway sent while the real simulator still answers.
 * `oauth2.introspectionUrl` (RFC 7662) is resolved into the token profile, and the probe's
 * introspection request authenticates exactly as the token request does.
 */
import { randomUUID } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import {
  OAUTH2_PATHS,
  startOAuth2Simulator,
  type OAuth2SimulatorHandle,
} from '../../../carriers/oauth2/simulator.js';
import { resolveAccount } from '../../../src/accounts/resolve.js';
import { type ResolvedAccount } from '../../../src/core/account.js';
import { parseConfig } from '../../../config/load.js';
import { introspectToken } from '../../../src/probes/introspect.js';
import { manualClock } from '../../../src/sim/clock.js';
import { registerSecrets } from '../../support/log-capture.js';
import { forcedRefreshes, observeToken as observe } from '../../support/stored-token.js';
import { startForwardingTap, type ForwardingTap } from '../../support/forwarding-tap.js';
import { formFields } from '../../support/sim-http.js';
import { startRecordingServer, type RecordingServer } from '../../support/recording-server.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `oauth2-shop-key-${randomUUID()}`;
/** Reserved characters in the secret: RFC 6749 2.3.1 form-url-encodes id and secret before Basic. */
const CLIENT = { clientId: 'oauth2-client', clientSecret: `s3cr:t+/ ${randomUUID()}` };
const USER = { username: 'alice', password: `alice-pw-${randomUUID()}` };
const FORM = 'application/x-www-form-urlencoded';
registerSecrets(CLIENT_KEY, CLIENT.clientSecret, USER.password);

const basic = (id: string, secret: string) => {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
};

const startTap = (target: string) => startForwardingTap(target);

/** An embedded-mode gateway with the given accounts, on an ephemeral loopback port. */
const startGateway = (...accounts: Record<string, unknown>[]): Promise<TestGateway> =>
  startTestGateway({ name: 'oauth2', clientKey: CLIENT_KEY, accounts });

afterEach(closeTestGateways);

/** An oauth2 account whose token URL is `<tokenBase>/oauth/token` and whose API is the simulator. */
function account(
  id: string,
  sim: OAuth2SimulatorHandle,
  extra: Record<string, unknown> = {},
  tokenBase = sim.url,
): Record<string, unknown> {
  return {
    id,
    carrier: 'oauth2',
    urls: { token: `${tokenBase}/oauth/token`, api: sim.url },
    credentials: { ...CLIENT },
    ...extra,
  };
}

async function proxied(gw: TestGateway, accountId: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${gw.url}/v1/carriers/${accountId}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${CLIENT_KEY}`, ...(init.headers as Record<string, string>) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('oauth2 adapter against the OAuth 2.0 simulator', () => {
  let sim: OAuth2SimulatorHandle;
  let tap: ForwardingTap;

  beforeAll(async () => {
    sim = await startOAuth2Simulator({ clients: [CLIENT], users: [USER] });
    tap = await startTap(sim.url);
  });
  afterAll(async () => {
    await tap?.close();
    await sim?.close();
  });
  afterEach(() => {
    tap.server.clear();
    tap.answers.length = 0;
    sim.resetStats();
  });

  describe('client authentication', () => {
    it('client_secret_basic: form-encoded id and secret in the Basic header, none in the body', async () => {
      const gw = await startGateway(
        account('basic', sim, { oauth2: { clientAuthentication: 'client_secret_basic' } }, tap.url),
      );
      const token = observe(await gw.gateway.engine.manager('basic').getToken());

      const sent = tap.server.requests;
      expect(sent).toHaveLength(1);
      expect(sent[0]!.headers.authorization).toBe(basic(CLIENT.clientId, CLIENT.clientSecret));
      expect(sent[0]!.headers['content-type']).toBe(FORM);
      expect(formFields(sent[0]!.body)).toEqual({ grant_type: 'client_credentials' });

      expect(sim.isAccessTokenValid(token.accessToken)).toBe(true);
      expect(decodeJwt(token.accessToken)).toMatchObject({
        client_id: CLIENT.clientId,
        sub: CLIENT.clientId,
        iss: sim.issuer,
        aud: sim.audience,
        scope: 'api',
      });
      expect(token.refreshToken).toBeUndefined(); // RFC 6749 4.4.3
    });

    it('client_secret_post: id and secret in the form body, no Authorization header', async () => {
      const gw = await startGateway(
        account('post', sim, { oauth2: { clientAuthentication: 'client_secret_post' } }, tap.url),
      );
      const token = observe(await gw.gateway.engine.manager('post').getToken());

      const [sent] = tap.server.requests;
      expect(sent!.headers.authorization).toBeUndefined();
      expect(formFields(sent!.body)).toEqual({
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      });
      expect(sim.isAccessTokenValid(token.accessToken)).toBe(true);
      expect(decodeJwt(token.accessToken).client_id).toBe(CLIENT.clientId);
    });

    it('a public client (none) is refused with invalid_client → ERR_TOKEN_INVALID_CLIENT, not retried', async () => {
      const gw = await startGateway(
        account(
          'public',
          sim,
          { credentials: { clientId: CLIENT.clientId }, oauth2: { clientAuthentication: 'none' } },
          tap.url,
        ),
      );
      const manager = gw.gateway.engine.manager('public');
      await expect(manager.getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_CLIENT',
        carrierCode: 'invalid_client',
        upstreamStatus: 401,
      });

      const [sent] = tap.server.requests;
      expect(sent!.headers.authorization).toBeUndefined();
      expect(formFields(sent!.body)).toEqual({
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
      });
      expect(tap.answers).toEqual([{ error: 'invalid_client', error_description: expect.any(String) }]);
      // Bad credentials are not retried: waiting does not fix them.
      expect(sim.stats().tokenRequests).toBe(1);
      expect(manager.peek()).toBeUndefined();

      // Through the proxy, during the cooldown that follows: the same code, and no new token request.
      const reply = await proxied(gw, 'public', '/api/resource');
      expect(reply.status).toBe(502);
      expect(reply.body).toMatchObject({ code: 'ERR_TOKEN_INVALID_CLIENT', account: 'public' });
      expect(sim.stats().tokenRequests).toBe(1);
      expect(sim.stats().apiRequests).toBe(0);
    });
  });

  describe('password grant', () => {
    it('sends username and password in the form; the token names the resource owner', async () => {
      const gw = await startGateway(
        account(
          'pw',
          sim,
          { grant: 'password', credentials: { ...CLIENT, username: USER.username, password: USER.password } },
          tap.url,
        ),
      );
      const token = observe(await gw.gateway.engine.manager('pw').getToken());

      const [sent] = tap.server.requests;
      expect(sent!.headers.authorization).toBe(basic(CLIENT.clientId, CLIENT.clientSecret));
      expect(formFields(sent!.body)).toEqual({
        grant_type: 'password',
        username: USER.username,
        password: USER.password,
      });
      expect(decodeJwt(token.accessToken)).toMatchObject({ sub: USER.username, client_id: CLIENT.clientId });

      const reply = await proxied(gw, 'pw', '/api/resource');
      expect(reply).toEqual({
        status: 200,
        body: { ok: true, sub: USER.username, client_id: CLIENT.clientId, scope: 'api' },
      });
    });

    it('a wrong password is ERR_TOKEN_INVALID_GRANT', async () => {
      const gw = await startGateway(
        account('pw-wrong', sim, {
          grant: 'password',
          credentials: { ...CLIENT, username: USER.username, password: 'not-alices-password' },
        }),
      );
      await expect(gw.gateway.engine.manager('pw-wrong').getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_GRANT',
        carrierCode: 'invalid_grant',
        upstreamStatus: 400,
      });
      expect(sim.stats().tokenRequests).toBe(1);
    });
  });

  describe('scope, audience and resource; JWT checks', () => {
    const AUDIENCE = 'https://carrier.example/api';
    const SCOPE = 'track:read ship:write';

    it('scope and audience reach the server and the signed JWT passes the configured checks', async () => {
      const gw = await startGateway(
        account('aud', sim, {
          oauth2: { scope: SCOPE, audience: AUDIENCE },
          token: {
            expectedAudience: AUDIENCE,
            expectedScopes: ['track:read', 'ship:write'],
            expectedIssuer: sim.issuer,
            jwksUrl: `${sim.url}/jwks`,
          },
        }),
      );
      const manager = gw.gateway.engine.manager('aud');
      await manager.getToken();
      const token = observe(manager.peek());
      expect(decodeJwt(token.accessToken)).toMatchObject({ aud: AUDIENCE, scope: SCOPE, iss: sim.issuer });
      expect(decodeProtectedHeader(token.accessToken)).toMatchObject({
        alg: 'RS256',
        typ: 'at+jwt',
        kid: sim.jwks().keys[0]!.kid,
      });
      // The token's lifetime is no longer than its exp says.
      expect(token.expiresAt).toBeLessThanOrEqual(decodeJwt(token.accessToken).exp! * 1000);
    });

    it('resource (RFC 8707) reaches the server and becomes the audience', async () => {
      const resource = 'https://tracking.example/v3';
      const gw = await startGateway(
        account('res', sim, {
          oauth2: { resource },
          token: { expectedAudience: resource, jwksUrl: `${sim.url}/jwks` },
        }),
      );
      const manager = gw.gateway.engine.manager('res');
      await manager.getToken();
      const token = observe(manager.peek());
      expect(decodeJwt(token.accessToken)).toMatchObject({ aud: resource, scope: 'api' });
    });

    it.each([
      [
        'a wrong expectedAudience (signature checked)',
        { expectedAudience: 'https://someone-else.example', jwksUrl: 'JWKS' },
        /^aud claim check failed \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/,
      ],
      [
        'a wrong expectedAudience (no key configured: claims only)',
        { expectedAudience: 'https://someone-else.example' },
        /^aud does not include the expected audience$/,
      ],
      [
        'a missing expected scope',
        { expectedAudience: AUDIENCE, expectedScopes: ['track:read', 'labels:write'], jwksUrl: 'JWKS' },
        /^scope lacks labels:write$/,
      ],
      [
        'a wrong expectedIssuer',
        { expectedIssuer: 'https://issuer.example', jwksUrl: 'JWKS' },
        /^iss claim check failed \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/,
      ],
    ])('%s → ERR_TOKEN_JWT_INVALID and no token is kept', async (_name, checks, detail) => {
      const token = Object.fromEntries(
        Object.entries(checks).map(([key, value]) => [key, value === 'JWKS' ? `${sim.url}/jwks` : value]),
      );
      const gw = await startGateway(
        account('jwt-bad', sim, { oauth2: { scope: SCOPE, audience: AUDIENCE }, token }),
      );
      const manager = gw.gateway.engine.manager('jwt-bad');
      const error = await manager.getToken().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'ERR_TOKEN_JWT_INVALID', account: 'jwt-bad' });
      expect((error as { detail?: string }).detail).toMatch(detail);
      // The server did issue a token: the refusal is the gateway's own check.
      expect(sim.stats().tokensIssued).toBe(1);
      expect(manager.peek()).toBeUndefined();

      const reply = await proxied(gw, 'jwt-bad', '/api/resource');
      expect(reply.status).toBeGreaterThanOrEqual(500);
      expect(sim.stats().apiRequests).toBe(0);
    });

    it('a JWKS without the signing key (another server) → ERR_TOKEN_JWT_INVALID', async () => {
      const other = await startOAuth2Simulator({ clients: [CLIENT] });
      try {
        const gw = await startGateway(
          account('foreign-jwks', sim, {
            oauth2: { scope: SCOPE, audience: AUDIENCE },
            token: { expectedAudience: AUDIENCE, jwksUrl: `${other.url}/jwks` },
          }),
        );
        const manager = gw.gateway.engine.manager('foreign-jwks');
        await expect(manager.getToken()).rejects.toMatchObject({
          code: 'ERR_TOKEN_JWT_INVALID',
          detail: 'verification failed (ERR_JWKS_NO_MATCHING_KEY)',
        });
        expect(sim.stats().tokensIssued).toBe(1);
        expect(manager.peek()).toBeUndefined();
        // Same audience and claims against the right key set pass: only the key differed.
        const control = await startGateway(
          account('own-jwks', sim, {
            oauth2: { scope: SCOPE, audience: AUDIENCE },
            token: { expectedAudience: AUDIENCE, jwksUrl: `${sim.url}/jwks` },
          }),
        );
        observe(await control.gateway.engine.manager('own-jwks').getToken());
      } finally {
        await other.close();
      }
    });
  });

  describe('authorization_code with a seed refresh token', () => {
    /** A gateway whose account `id` starts from the refresh token `seed` (registered with the log scan). */
    async function startSeeded(id: string, seed: string, tokenBase?: string) {
      registerSecrets(seed);
      const credentials = { ...CLIENT, refreshToken: seed };
      const gw = await startGateway(
        account(id, sim, { grant: 'authorization_code', credentials }, tokenBase),
      );
      return { gw, manager: gw.gateway.engine.manager(id) };
    }

    it('successive forced refreshes each present the latest rotated refresh token; no reuse', async () => {
      const seed = sim.issueRefreshToken(CLIENT.clientId);
      const { gw, manager } = await startSeeded('code', seed, tap.url);

      const FORCED = 4;
      const seen = await forcedRefreshes(manager, FORCED);

      const presented = tap.server.requests.map((req) => formFields(req.body));
      expect(presented).toHaveLength(FORCED + 1);
      expect(presented[0]).toEqual({ grant_type: 'refresh_token', refresh_token: seed });
      for (let i = 1; i <= FORCED; i += 1) {
        // What was presented is exactly what the server rotated to in its previous answer.
        expect(presented[i]).toEqual({
          grant_type: 'refresh_token',
          refresh_token: tap.answers[i - 1]!.refresh_token,
        });
        expect(seen[i - 1]!.refreshToken).toBe(tap.answers[i - 1]!.refresh_token);
      }
      const refreshTokens = [seed, ...seen.map((token) => token.refreshToken)];
      expect(new Set(refreshTokens).size).toBe(FORCED + 2);
      expect(new Set(seen.map((token) => token.accessToken)).size).toBe(FORCED + 1);

      const stats = sim.stats();
      expect(stats.refreshTokenReuses).toBe(0);
      expect(stats.familiesRevoked).toBe(0);
      expect(stats.tokenRequests).toBe(FORCED + 1);
      expect(decodeJwt(seen.at(-1)!.accessToken).sub).toBe(CLIENT.clientId);

      // The latest token works through the proxy; the family is intact.
      const reply = await proxied(gw, 'code', '/api/resource');
      expect(reply.status).toBe(200);
      expect((await manager.status()).state).toBe('ok');
    });

    it('an unknown seed → ERR_TOKEN_INVALID_GRANT, reauthorization_required, and no further token calls', async () => {
      const { gw, manager } = await startSeeded('code-bad', `never-issued-${randomUUID()}`);
      await expect(manager.getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_GRANT',
        carrierCode: 'invalid_grant',
      });
      expect(sim.stats().tokenRequests).toBe(1);

      const status = await manager.status();
      expect(status.state).toBe('reauthorization_required');
      expect(status.reauthorizationReason).toMatch(/invalid_grant/);

      for (let i = 0; i < 3; i += 1) {
        await expect(manager.getToken()).rejects.toMatchObject({ code: 'ERR_REAUTHORIZATION_REQUIRED' });
      }
      const reply = await proxied(gw, 'code-bad', '/api/resource');
      expect(reply.status).toBe(503);
      expect(reply.body.code).toBe('ERR_REAUTHORIZATION_REQUIRED');

      const stats = sim.stats();
      expect(stats.tokenRequests).toBe(1);
      expect(stats.refreshTokenReuses).toBe(0);
      expect(stats.apiRequests).toBe(0);
    });
  });

  describe('bodyEncoding: json', () => {
    let server: RecordingServer;
    beforeAll(async () => {
      server = await startRecordingServer(() => {
        const accessToken = `json-at-${randomUUID()}`;
        registerSecrets(accessToken);
        return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 } };
      });
    });
    afterAll(async () => {
      await server?.close();
    });
    afterEach(() => server.clear());

    it.each([
      [
        'client_secret_post',
        undefined,
        {
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
        },
      ],
      [
        'client_secret_basic',
        basic(CLIENT.clientId, CLIENT.clientSecret),
        { grant_type: 'client_credentials', scope: 'api' },
      ],
    ])('%s: the token request is a JSON object', async (method, authorization, fields) => {
      const gw = await startGateway(
        account(
          'json',
          sim,
          { oauth2: { bodyEncoding: 'json', clientAuthentication: method, scope: 'api' } },
          server.url,
        ),
      );
      observe(await gw.gateway.engine.manager('json').getToken());
      expect(server.requests).toHaveLength(1);
      const [sent] = server.requests;
      expect(sent!.method).toBe('POST');
      expect(sent!.url).toBe('/oauth/token');
      expect(sent!.headers['content-type']).toBe('application/json');
      expect(sent!.headers.authorization).toBe(authorization);
      expect(JSON.parse(sent!.body)).toEqual(fields);
    });

    it('the form-only simulator refuses the JSON body with invalid_request → ERR_TOKEN_REQUEST_REJECTED', async () => {
      const gw = await startGateway(account('json-sim', sim, { oauth2: { bodyEncoding: 'json' } }));
      await expect(gw.gateway.engine.manager('json-sim').getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_REQUEST_REJECTED',
        carrierCode: 'invalid_request',
        upstreamStatus: 400,
      });
      expect(sim.stats().tokensIssued).toBe(0);
    });
  });

  describe('token introspection (RFC 7662): oauth2.introspectionUrl', () => {
    /** The account as the gateway resolves it, its introspection URL pointing at the tap. */
    function resolved(id: string, oauth2: Record<string, unknown>, credentials = CLIENT): ResolvedAccount {
      const yaml = stringify({
        clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: [id] }],
        accounts: [
          account(id, sim, {
            credentials,
            oauth2: { introspectionUrl: `${tap.url}${OAUTH2_PATHS.introspect}`, ...oauth2 },
          }),
        ],
      });
      return resolveAccount(parseConfig(yaml, 'test').accounts[0]!, 0) as ResolvedAccount;
    }

    /** A token straight from the simulator (the accounts below may send what it refuses). */
    async function accessToken(): Promise<string> {
      const response = await fetch(`${sim.url}${OAUTH2_PATHS.token}`, {
        method: 'POST',
        headers: { authorization: basic(CLIENT.clientId, CLIENT.clientSecret), 'content-type': FORM },
        body: 'grant_type=client_credentials',
      });
      const value = ((await response.json()) as { access_token: string }).access_token;
      registerSecrets(value);
      return value;
    }

    it('resolves into the token profile; unset, there is none', () => {
      const withUrl = resolved('introspected', {});
      expect(withUrl.token.introspectionUrl).toBe(`${tap.url}${OAUTH2_PATHS.introspect}`);
      const yaml = stringify({
        clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['plain'] }],
        accounts: [account('plain', sim)],
      });
      const plain = resolveAccount(parseConfig(yaml, 'test').accounts[0]!, 0) as ResolvedAccount;
      expect(plain.token).not.toHaveProperty('introspectionUrl');
    });

    it('refuses what cannot work: no http(s) URL, or a public client (RFC 7662 2.1 requires authorization)', () => {
      expect(() => resolved('not-a-url', { introspectionUrl: 'ftp://as.example/introspect' })).toThrow(
        /introspectionUrl/,
      );
      let error: unknown;
      try {
        resolved('public', { clientAuthentication: 'none' }, { clientId: CLIENT.clientId } as typeof CLIENT);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({
        code: 'ERR_CONFIG_INVALID',
        detail: expect.stringMatching(
          /^accounts\[0\]\.oauth2\.introspectionUrl: needs client authentication/,
        ),
      });
    });

    it('client_secret_basic: the Basic header of the token request, and a form body even with bodyEncoding json', async () => {
      const value = await accessToken();
      const introspecting = resolved('basic-introspect', {
        clientAuthentication: 'client_secret_basic',
        bodyEncoding: 'json',
      });
      const answer = await introspectToken(introspecting, value, { now: Date.now });
      expect(answer).toMatchObject({ active: true, client_id: CLIENT.clientId, token_type: 'Bearer' });

      const [sent] = tap.server.requests;
      expect(sent!.method).toBe('POST');
      expect(sent!.url).toBe(OAUTH2_PATHS.introspect);
      // Reserved characters in the secret: form-url-encoded before Basic, as for the token endpoint.
      expect(sent!.headers.authorization).toBe(basic(CLIENT.clientId, CLIENT.clientSecret));
      expect(sent!.headers['content-type']).toBe(FORM);
      expect(formFields(sent!.body)).toEqual({ token: value, token_type_hint: 'access_token' });
    });

    it('client_secret_post: id and secret in the form next to the token, no Authorization header', async () => {
      const value = await accessToken();
      const introspecting = resolved('post-introspect', { clientAuthentication: 'client_secret_post' });
      expect(await introspectToken(introspecting, value, { now: Date.now })).toMatchObject({ active: true });
      const [sent] = tap.server.requests;
      expect(sent!.headers.authorization).toBeUndefined();
      expect(formFields(sent!.body)).toEqual({
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        token: value,
        token_type_hint: 'access_token',
      });

      // Revoked at the server: inactive, and nothing else said about it (RFC 7662 2.2).
      sim.revokeAccessTokens(CLIENT.clientId);
      expect(await introspectToken(introspecting, value, { now: Date.now })).toEqual({ active: false });
    });

    it('a refused client is classified as at the token endpoint: 401 invalid_client (RFC 7662 2.3)', async () => {
      const value = await accessToken();
      const wrong = { ...CLIENT, clientSecret: `wrong-${randomUUID()}` };
      registerSecrets(wrong.clientSecret);
      await expect(
        introspectToken(resolved('wrong-introspect', {}, wrong), value, { now: Date.now }),
      ).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_CLIENT',
        carrierCode: 'invalid_client',
        upstreamStatus: 401,
      });
    });
  });

  describe('proxied calls to the protected resource', () => {
    it('GET /api/resource succeeds with the injected Bearer JWT; POST /api/echo passes the body through', async () => {
      const gw = await startGateway(account('api', sim, { token: { jwksUrl: `${sim.url}/jwks` } }));
      const reply = await proxied(gw, 'api', '/api/resource');
      expect(reply).toEqual({
        status: 200,
        body: { ok: true, sub: CLIENT.clientId, client_id: CLIENT.clientId, scope: 'api' },
      });
      const token = observe(gw.gateway.engine.manager('api').peek());
      expect(sim.isAccessTokenValid(token.accessToken)).toBe(true);

      const payload = { shipment: { id: 'S-1', weightKg: 1.5 }, tags: ['a', 'b'] };
      const echoed = await proxied(gw, 'api', '/api/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      expect(echoed).toEqual({ status: 200, body: { method: 'POST', body: payload } });

      const stats = sim.stats();
      expect(stats.tokenRequests).toBe(1);
      expect(stats.apiRequests).toBe(2);
      expect(stats.apiRejections).toBe(0);
    });
  });
});

describe('oauth2 adapter: a Bearer token the resource server rejects (RFC 6750 401)', () => {
  it('is dropped and the idempotent call retried once with a fresh token', async () => {
    const clock = manualClock();
    // Tokens are refused 5 s after issue although expires_in says an hour.
    const sim = await startOAuth2Simulator({
      clients: [CLIENT],
      clock,
      faults: { prematureExpirySeconds: 5 },
    });
    try {
      const gw = await startGateway(account('premature', sim));
      const first = await proxied(gw, 'premature', '/api/resource');
      expect(first.status).toBe(200);
      const manager = gw.gateway.engine.manager('premature');
      const before = observe(manager.peek());

      clock.advance(6_000); // within the gateway's 30 s JWT clock tolerance
      const second = await proxied(gw, 'premature', '/api/resource');
      expect(second).toMatchObject({ status: 200, body: { ok: true } });
      const after = observe(manager.peek());
      expect(after.accessToken).not.toBe(before.accessToken);

      const stats = sim.stats();
      expect(stats.apiRejections).toBe(1);
      expect(stats.apiRequests).toBe(3);
      expect(stats.tokenRequests).toBe(2);
      expect((await manager.status()).prematureRejections).toBe(1);
    } finally {
      await closeTestGateways();
      await sim.close();
    }
  });
});
