/**
 * @module test/carriers/ups/authorization
 * Authorization-code onboarding of UPS accounts ([UPS-AC], OAuthAuthCode.yaml; RFC 6749 4.1,
 * RFC 7636) through the gateway's `GET /v1/accounts/{id}/authorize` (admin key) and
 * `GET /v1/oauth/callback`, against the UPS simulator on loopback, gateways in embedded mode.
 *
 * The UPS simulator's /authorize redirects straight back with a code (no login page) and its
 * /token does not model PKCE ("PKCE is not simulated"): it always wants Basic. So the plain flow
 * runs against the simulator as it is, and the PKCE token request is checked by a front that does
 * what UPS documents for PKCE (no Basic; `client_id` and a `code_verifier` whose S256 matches the
 * challenge) before handing the exchange to the simulator. The PKCE verification of a real server
 * is in test/carriers/oauth2/oidc-provider.test.ts.
 *
 * Every failure case checks that nothing changed: no token stored, the account still waiting for
 * authorization, and (where the code must not be sent) no request at the carrier's token endpoint.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../../carriers/ups/simulator.js';
import { parseConfig } from '../../../config/load.js';
import type { TokenStatus } from '../../../src/auth/token-status.js';
import type { StoredToken } from '../../../src/auth/token-store.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { Browser } from '../../support/oidc-server.js';
import { postTokenForm } from '../../support/forwarding-tap.js';
import { expectCodeExchange, s256Challenge } from '../../support/pkce.js';
import { startRecordingServer, type RecordingServer } from '../../support/recording-server.js';
import { freePort } from '../../support/redis-server.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `onboard-shop-key-${randomUUID()}`;
const ADMIN_KEY = `onboard-admin-key-${randomUUID()}`;
const UPS = { clientId: 'ups-onboard-client', clientSecret: `ups-onboard-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, ADMIN_KEY, UPS.clientSecret);

/** RFC 7636 4.2, computed here rather than with the gateway's own helper. */

const CALLBACK = '/v1/oauth/callback';
const TRACK = '/api/track/v1/details/1Z12345E0205271688';

afterEach(closeTestGateways);

/** An embedded gateway on a loopback port known before start, so redirect URIs can name it. */
async function startGateway(
  accounts: (port: number) => Record<string, unknown>[],
  options: { authorizationStateTtlMs?: number } = {},
): Promise<TestGateway> {
  const port = await freePort();
  return startTestGateway({
    name: 'onboarding',
    port,
    config: { publicUrl: `http://127.0.0.1:${port}` },
    admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
    clientKey: CLIENT_KEY,
    accounts: accounts(port),
    options,
  });
}

/** Registers every token the test sees, so the suite's log scan can prove none was logged. */
function observe(token: StoredToken | null): StoredToken {
  expect(token).not.toBeNull();
  registerSecrets(token!.accessToken, ...(token!.refreshToken ? [token!.refreshToken] : []));
  return token!;
}

async function beginAuthorization(gw: TestGateway, accountId: string, key: string | null = ADMIN_KEY) {
  return fetch(`${gw.url}/v1/accounts/${accountId}/authorize`, {
    redirect: 'manual',
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
}

/** Starts onboarding as an operator and returns the carrier's redirect back, not yet delivered. */
async function authorizeAtCarrier(
  gw: TestGateway,
  accountId: string,
): Promise<{ carrier: URL; callback: URL }> {
  const response = await beginAuthorization(gw, accountId);
  expect(response.status).toBe(302);
  const carrier = new URL(response.headers.get('location')!);
  const callback = await new Browser().follow(carrier.toString(), (url) => url.pathname === CALLBACK);
  // Neither may ever appear in a log line (the suite-wide scan checks).
  registerSecrets(carrier.searchParams.get('state')!, callback.searchParams.get('code') ?? '');
  return { carrier, callback };
}

interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: Record<string, unknown>;
  headers: Headers;
}

async function deliver(url: URL | string, accept = 'application/json'): Promise<Reply> {
  const response = await fetch(url, { headers: { accept } });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // An HTML page.
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
    json,
    headers: response.headers,
  };
}

function withParams(base: URL | string, params: Record<string, string>): URL {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

async function statusOf(gw: TestGateway, accountId: string): Promise<TokenStatus> {
  const response = await fetch(`${gw.url}/v1/accounts`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { accounts: TokenStatus[] };
  return body.accounts.find((status) => status.account === accountId)!;
}

async function proxied(gw: TestGateway, accountId: string) {
  const response = await fetch(`${gw.url}/v1/carriers/${accountId}${TRACK}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Nothing stored, still waiting for an operator, the authorize link shown. */
async function expectUnauthorized(gw: TestGateway, accountId: string): Promise<void> {
  expect(await gw.gateway.engine.store.read(accountId)).toBeNull();
  const status = await statusOf(gw, accountId);
  expect(status.state).toBe('reauthorization_required');
  expect(status.token).toBeNull();
  expect(status.authorizeUrl).toBe(`/v1/accounts/${accountId}/authorize`);
}

describe('UPS authorization-code onboarding', () => {
  let sim: UpsSimulatorHandle;

  /** A UPS third-party account on the simulator; PKCE off because the simulator does not verify it. */
  const plainAccount = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    carrier: 'ups',
    grant: 'authorization_code',
    urls: { token: `${sim.url}/security/v1/oauth/token`, api: sim.url },
    credentials: { ...UPS },
    authorization: { pkce: false },
    ...extra,
  });

  beforeAll(async () => {
    sim = await startUpsSimulator({ clients: [UPS] });
  });
  afterAll(async () => {
    registerIssuedTokens(sim);
    await sim?.close();
  });
  afterEach(() => {
    registerIssuedTokens(sim);
    sim.resetStats();
  });

  describe('admin authentication', () => {
    it('refuses no key, a client key and an unknown key with ERR_ADMIN_UNAUTHENTICATED and starts nothing', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      for (const key of [null, CLIENT_KEY, `not-a-key-${randomUUID()}`]) {
        const response = await beginAuthorization(gw, 'ups-plain', key);
        expect(response.status).toBe(401);
        expect(response.headers.get('location')).toBeNull();
        expect(((await response.json()) as { code: string }).code).toBe('ERR_ADMIN_UNAUTHENTICATED');
      }
      expect(sim.stats().tokenRequests).toBe(0);
    });

    it('an admin key opens no client route', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const accounts = await fetch(`${gw.url}/v1/accounts`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(accounts.status).toBe(401);
      expect(((await accounts.json()) as { code: string }).code).toBe('ERR_UNAUTHENTICATED');
      const proxy = await fetch(`${gw.url}/v1/carriers/ups-plain${TRACK}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(proxy.status).toBe(401);
    });

    it('the configuration refuses an admin key that is also a client key', () => {
      const yaml = stringify({
        admins: [{ id: 'ops', apiKey: CLIENT_KEY }],
        clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['ups-cc'] }],
        accounts: [{ id: 'ups-cc', carrier: 'ups', credentials: { ...UPS } }],
      });
      let detail = '';
      try {
        parseConfig(yaml, 'test');
      } catch (error) {
        expect(isGatewayError(error) && error.code).toBe('ERR_CONFIG_INVALID');
        detail = isGatewayError(error) ? (error.detail ?? '') : '';
      }
      expect(detail).toContain('admins[0].apiKey: must differ from every client apiKey');
      expect(detail).not.toContain(CLIENT_KEY);
    });
  });

  describe('the authorization request', () => {
    it('redirects to UPS /security/v1/oauth/authorize with state and an S256 challenge (PKCE is the UPS default)', async () => {
      const gw = await startGateway(() => [
        { ...plainAccount('ups-pkce'), authorization: { scope: 'read' } },
      ]);
      const first = await beginAuthorization(gw, 'ups-pkce');
      expect(first.status).toBe(302);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const location = new URL(first.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(`${sim.url}/security/v1/oauth/authorize`);
      const query = Object.fromEntries(location.searchParams);
      expect(query).toEqual({
        response_type: 'code',
        client_id: UPS.clientId,
        redirect_uri: `${gw.url}${CALLBACK}`,
        scope: 'read',
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        // RFC 7636 4.2: BASE64URL(SHA256(verifier)) of a 32-octet verifier is 43 characters.
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        code_challenge_method: 'S256',
      });
      // A fresh state and verifier per authorization.
      const second = new URL((await beginAuthorization(gw, 'ups-pkce')).headers.get('location')!);
      expect(second.searchParams.get('state')).not.toBe(query.state);
      expect(second.searchParams.get('code_challenge')).not.toBe(query.code_challenge);
      expect(sim.stats().tokenRequests).toBe(0);
    });

    it('with authorization.pkce false it is a plain authorization-code request', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const location = new URL((await beginAuthorization(gw, 'ups-plain')).headers.get('location')!);
      expect([...location.searchParams.keys()].sort()).toEqual([
        'client_id',
        'redirect_uri',
        'response_type',
        'state',
      ]);
    });

    it('refuses accounts it cannot onboard: another grant (409), an unknown account (404)', async () => {
      const gw = await startGateway(() => [
        plainAccount('ups-plain'),
        {
          id: 'ups-cc',
          carrier: 'ups',
          urls: { token: `${sim.url}/security/v1/oauth/token`, api: sim.url },
          credentials: { ...UPS },
        },
      ]);
      const other = await beginAuthorization(gw, 'ups-cc');
      expect(other.status).toBe(409);
      expect(await other.json()).toMatchObject({
        code: 'ERR_AUTHORIZATION_NOT_CONFIGURED',
        account: 'ups-cc',
        detail: "the account's grant is client_credentials, not authorization_code",
      });
      const unknown = await beginAuthorization(gw, 'nope');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { code: string }).code).toBe('ERR_ACCOUNT_NOT_FOUND');
    });
  });

  describe('a completed authorization', () => {
    it('stores access and refresh token, shows a page without them, and the proxy works', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      await expectUnauthorized(gw, 'ups-plain');
      const before = await proxied(gw, 'ups-plain');
      expect(before.status).toBe(503);
      expect(before.body.code).toBe('ERR_REAUTHORIZATION_REQUIRED');

      const { carrier, callback } = await authorizeAtCarrier(gw, 'ups-plain');
      // The carrier came back to the redirect URI with the same state and a code (RFC 6749 4.1.2).
      expect(`${callback.origin}${callback.pathname}`).toBe(`${gw.url}${CALLBACK}`);
      expect(callback.searchParams.get('state')).toBe(carrier.searchParams.get('state'));
      const code = callback.searchParams.get('code')!;

      const page = await deliver(callback, 'text/html,application/xhtml+xml');
      expect(page.status).toBe(200);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.text).toContain('Account ups-plain is authorized');
      const token = observe(await gw.gateway.engine.store.read('ups-plain'));
      expect(token.refreshToken).toBeDefined();
      for (const secret of [
        token.accessToken,
        token.refreshToken!,
        code,
        carrier.searchParams.get('state')!,
      ]) {
        expect(page.text).not.toContain(secret);
      }
      // Exactly one token request: the code exchange, Basic-authenticated (the simulator checks it).
      expect(sim.stats().tokenRequests).toBe(1);
      expect(sim.isAccessTokenValid(token.accessToken)).toBe(true);

      const status = await statusOf(gw, 'ups-plain');
      expect(status.state).toBe('ok');
      expect(status.token?.generation).toBe(token.generation);
      expect(status.authorizeUrl).toBeUndefined();
      expect(status.reauthorizationReason).toBeNull();
      const after = await proxied(gw, 'ups-plain');
      expect(after.status).toBe(200);
      expect(after.body).toHaveProperty('trackResponse');

      // Both halves are in the audit log under the admin who started it; no code, state or token.
      const audit = await fetch(`${gw.url}/v1/admin/audit?account=ups-plain`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      const text = await audit.text();
      const entries = (JSON.parse(text) as { entries: { action: string; admin: string }[] }).entries;
      expect(entries.map((entry) => [entry.action, entry.admin])).toEqual([
        ['authorization_completed', 'ops'],
        ['authorize', 'ops'],
      ]);
      for (const secret of [token.accessToken, token.refreshToken!, code, carrier.searchParams.get('state')!])
        expect(text).not.toContain(secret);
    });

    it('the stored refresh token carries the account on: a forced refresh rotates it at /refresh', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      expect((await deliver(callback)).json).toMatchObject({
        status: 'authorized',
        account: 'ups-plain',
        refreshToken: true,
      });
      const first = observe(await gw.gateway.engine.store.read('ups-plain'));
      const refreshed = observe(await gw.gateway.engine.manager('ups-plain').invalidate(first.accessToken));
      expect(refreshed.generation).toBeGreaterThan(first.generation);
      expect(refreshed.refreshToken).toBeDefined();
      expect(refreshed.refreshToken).not.toBe(first.refreshToken);
      expect(sim.stats()).toMatchObject({ tokenRequests: 2, refreshTokenReuses: 0 });
      expect((await proxied(gw, 'ups-plain')).status).toBe(200);
    });
  });

  describe('PKCE token request (UPS: no Basic, client_id and code_verifier in the body)', () => {
    let front: RecordingServer;
    let expectedChallenge = '';

    beforeAll(async () => {
      // Does what UPS documents for PKCE and the simulator does not model: verifies the verifier
      // against the challenge instead of a Basic header, then hands the exchange to the simulator
      // with the client's Basic credentials, the only client authentication the simulator knows.
      front = await startRecordingServer(async (req) => {
        const form = new URLSearchParams(req.body);
        const verifier = form.get('code_verifier') ?? '';
        registerSecrets(verifier);
        if (
          req.headers.authorization !== undefined ||
          form.get('client_id') !== UPS.clientId ||
          s256Challenge(verifier) !== expectedChallenge
        ) {
          return {
            status: 400,
            body: { response: { errors: [{ code: '10400', message: 'Invalid code_verifier' }] } },
          };
        }
        form.delete('client_id');
        form.delete('code_verifier');
        return postTokenForm(
          `${sim.url}/security/v1/oauth/token`,
          form,
          `Basic ${Buffer.from(`${UPS.clientId}:${UPS.clientSecret}`).toString('base64')}`,
        );
      });
    });
    afterAll(async () => {
      await front?.close();
    });

    it('sends client_id and the verifier whose BASE64URL(SHA256) is the challenge, without Basic', async () => {
      const gw = await startGateway(() => [
        {
          ...plainAccount('ups-pkce'),
          urls: {
            token: `${front.url}/security/v1/oauth/token`,
            authorize: `${sim.url}/security/v1/oauth/authorize`,
            refresh: `${sim.url}/security/v1/oauth/refresh`,
            api: sim.url,
          },
          authorization: {},
        },
      ]);
      const { carrier, callback } = await authorizeAtCarrier(gw, 'ups-pkce');
      expectedChallenge = carrier.searchParams.get('code_challenge')!;
      const reply = await deliver(callback);
      expect(reply.status).toBe(200);

      expect(front.requests).toHaveLength(1);
      const sent = front.requests[0]!;
      expect(sent.headers.authorization).toBeUndefined();
      const form = expectCodeExchange(sent.body, {
        callback,
        redirectUri: `${gw.url}${CALLBACK}`,
        challenge: expectedChallenge,
        extra: { client_id: UPS.clientId },
      });
      expect(reply.text).not.toContain(form['code_verifier']!);
      observe(await gw.gateway.engine.store.read('ups-pkce'));
      expect((await proxied(gw, 'ups-pkce')).status).toBe(200);
    });
  });

  describe('failures: each has its own code and changes nothing', () => {
    it('denied consent (error=access_denied): ERR_OAUTH_ACCESS_DENIED; the state is spent', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const carrier = new URL((await beginAuthorization(gw, 'ups-plain')).headers.get('location')!);
      const state = carrier.searchParams.get('state')!;
      const denied = await deliver(
        withParams(`${gw.url}${CALLBACK}`, {
          error: 'access_denied',
          error_description: 'The user said no',
          state,
        }),
      );
      expect(denied.status).toBe(403);
      expect(denied.json).toMatchObject({
        code: 'ERR_OAUTH_ACCESS_DENIED',
        account: 'ups-plain',
        carrierCode: 'access_denied',
      });
      // The carrier's own words are never passed on.
      expect(denied.text).not.toContain('The user said no');
      await expectUnauthorized(gw, 'ups-plain');
      // That authorization is over: the same state with a real code is refused.
      const code = sim.issueAuthorizationCode(UPS.clientId, `${gw.url}${CALLBACK}`);
      const replay = await deliver(withParams(`${gw.url}${CALLBACK}`, { code, state }));
      expect(replay.json.code).toBe('ERR_OAUTH_STATE_INVALID');
      expect(sim.stats().tokenRequests).toBe(0);
    });

    it('another error from the carrier: ERR_OAUTH_AUTHORIZATION_FAILED with its code, sanitized', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const state = new URL(
        (await beginAuthorization(gw, 'ups-plain')).headers.get('location')!,
      ).searchParams.get('state')!;
      const failed = await deliver(
        withParams(`${gw.url}${CALLBACK}`, { error: 'temporarily_unavailable', state }),
      );
      expect(failed.status).toBe(502);
      expect(failed.json).toMatchObject({
        code: 'ERR_OAUTH_AUTHORIZATION_FAILED',
        carrierCode: 'temporarily_unavailable',
      });
      const other = new URL(
        (await beginAuthorization(gw, 'ups-plain')).headers.get('location')!,
      ).searchParams.get('state')!;
      const odd = await deliver(
        withParams(`${gw.url}${CALLBACK}`, { error: '<script>"x"</script>\u00e9', state: other }),
      );
      expect(odd.json).toMatchObject({ code: 'ERR_OAUTH_AUTHORIZATION_FAILED', carrierCode: 'malformed' });
      await expectUnauthorized(gw, 'ups-plain');
    });

    it('unknown or missing state: ERR_OAUTH_STATE_INVALID, and a pending state is not consumed by it', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      const code = callback.searchParams.get('code')!;
      const forged = await deliver(
        withParams(`${gw.url}${CALLBACK}`, { code, state: randomBytes(32).toString('base64url') }),
      );
      expect(forged.status).toBe(400);
      expect(forged.json.code).toBe('ERR_OAUTH_STATE_INVALID');
      const missing = await deliver(withParams(`${gw.url}${CALLBACK}`, { code }));
      expect(missing.json).toMatchObject({
        code: 'ERR_OAUTH_STATE_INVALID',
        detail: 'the callback carries no state',
      });
      // Neither was exchanged, and the real callback still works.
      expect(sim.stats().tokenRequests).toBe(0);
      await expectUnauthorized(gw, 'ups-plain');
      expect((await deliver(callback)).status).toBe(200);
    });

    it('repeated parameters: ERR_OAUTH_CALLBACK_INVALID without spending the state (RFC 6749 3.1)', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      const doubled = new URL(callback);
      doubled.searchParams.append('code', 'second-code');
      const reply = await deliver(doubled);
      expect(reply.json).toMatchObject({
        code: 'ERR_OAUTH_CALLBACK_INVALID',
        detail: 'repeated parameter code',
      });
      const noCode = new URL(callback);
      noCode.searchParams.delete('code');
      expect((await deliver(noCode)).json).toMatchObject({
        code: 'ERR_OAUTH_CALLBACK_INVALID',
        detail: 'the callback carries neither code nor error',
      });
      // The code-less callback carried a valid state: that one is spent now.
      expect((await deliver(callback)).json.code).toBe('ERR_OAUTH_STATE_INVALID');
      expect(sim.stats().tokenRequests).toBe(0);
      await expectUnauthorized(gw, 'ups-plain');
    });

    it('expired state: ERR_OAUTH_STATE_EXPIRED, the code is never sent', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')], { authorizationStateTtlMs: 300 });
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const reply = await deliver(callback);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_STATE_EXPIRED', account: 'ups-plain' });
      expect(sim.stats().tokenRequests).toBe(0);
      await expectUnauthorized(gw, 'ups-plain');
      // Expired and now also spent.
      expect((await deliver(callback)).json.code).toBe('ERR_OAUTH_STATE_INVALID');
    });

    it('replayed callback after success: ERR_OAUTH_STATE_INVALID, tokens unchanged', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      expect((await deliver(callback)).status).toBe(200);
      const stored = observe(await gw.gateway.engine.store.read('ups-plain'));
      const replay = await deliver(callback);
      expect(replay.status).toBe(400);
      expect(replay.json.code).toBe('ERR_OAUTH_STATE_INVALID');
      expect(await gw.gateway.engine.store.read('ups-plain')).toEqual(stored);
      expect(sim.stats().tokenRequests).toBe(1);
    });

    it('a code already used (UPS 10400 at /token): ERR_OAUTH_CODE_REJECTED, tokens unchanged', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      expect((await deliver(callback)).status).toBe(200);
      const stored = observe(await gw.gateway.engine.store.read('ups-plain'));
      // A second, valid authorization comes back with the code of the first.
      const state = new URL(
        (await beginAuthorization(gw, 'ups-plain')).headers.get('location')!,
      ).searchParams.get('state')!;
      const reply = await deliver(
        withParams(`${gw.url}${CALLBACK}`, { code: callback.searchParams.get('code')!, state }),
      );
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({
        code: 'ERR_OAUTH_CODE_REJECTED',
        account: 'ups-plain',
        carrierCode: '10400',
        upstreamStatus: 400,
      });
      expect(await gw.gateway.engine.store.read('ups-plain')).toEqual(stored);
      expect((await statusOf(gw, 'ups-plain')).state).toBe('ok');
      expect((await proxied(gw, 'ups-plain')).status).toBe(200);
    });

    it('a code issued for another redirect URI (UPS 10401 at /token): ERR_OAUTH_REDIRECT_URI_MISMATCH', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const state = new URL(
        (await beginAuthorization(gw, 'ups-plain')).headers.get('location')!,
      ).searchParams.get('state')!;
      const code = sim.issueAuthorizationCode(UPS.clientId, 'https://elsewhere.example/v1/oauth/callback');
      const reply = await deliver(withParams(`${gw.url}${CALLBACK}`, { code, state }));
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_REDIRECT_URI_MISMATCH', carrierCode: '10401' });
      expect(String(reply.json.detail)).toContain('redirect_uri');
      expect(sim.stats().tokenRequests).toBe(1);
      await expectUnauthorized(gw, 'ups-plain');
    });

    it('a callback that arrives on another URI: ERR_OAUTH_REDIRECT_URI_MISMATCH, the code is never sent', async () => {
      const gw = await startGateway((port) => [
        {
          ...plainAccount('ups-plain'),
          authorization: { pkce: false, redirectUri: `http://localhost:${port}${CALLBACK}` },
        },
      ]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      expect(callback.host).toBe(`localhost:${gw.port}`);
      const elsewhere = new URL(callback);
      elsewhere.hostname = '127.0.0.1';
      const reply = await deliver(elsewhere);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_REDIRECT_URI_MISMATCH', account: 'ups-plain' });
      expect(String(reply.json.detail)).toContain(`host 127.0.0.1:${gw.port}`);
      expect(sim.stats().tokenRequests).toBe(0);
      await expectUnauthorized(gw, 'ups-plain');
    });

    it('a browser gets the failure as an HTML page naming the code, with nothing secret in it', async () => {
      const gw = await startGateway(() => [plainAccount('ups-plain')]);
      const { callback } = await authorizeAtCarrier(gw, 'ups-plain');
      expect((await deliver(callback)).status).toBe(200);
      const page = await deliver(callback, 'text/html');
      expect(page.status).toBe(400);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(page.text).toContain('ERR_OAUTH_STATE_INVALID');
      expect(page.text).not.toContain(callback.searchParams.get('code')!);
      expect(page.text).not.toContain(callback.searchParams.get('state')!);
    });
  });
});
