/**
 * @module test/carriers/oauth2/oidc-provider
 * The generic `oauth2` carrier against a real authorization server, oidc-provider v9
 * (test/support/oidc-server.ts), through real gateways (`createGateway`): embedded mode, and two
 * instances on a real Redis. Covers client credentials with `client_secret_basic` and
 * `client_secret_post` (RFC 6749 2.3.1, 4.4), authorization code + PKCE (RFC 6749 4.1, RFC 7636)
 * through the onboarding endpoints end to end, refresh-token rotation (the server refuses a
 * rotated-out refresh token), JWT access tokens (RFC 9068, resource indicators RFC 8707) verified
 * against the server's JWKS, and a signing-key rotation while the gateway runs.
 */
import { randomUUID } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader } from 'jose';
import { request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { TokenStatus } from '../../../src/auth/token-status.js';
import type { StoredToken } from '../../../src/auth/token-store.js';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../../src/auth/jwt-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  Browser,
  startOidcServer,
  type OidcClientCredentials,
  type OidcServer,
} from '../../support/oidc-server.js';
import { postTokenForm } from '../../support/forwarding-tap.js';
import { expectCodeExchange } from '../../support/pkce.js';
import { startRecordingServer, type RecordingServer } from '../../support/recording-server.js';
import { freePort, TestRedis } from '../../support/redis-server.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `oidc-shop-key-${randomUUID()}`;
const ADMIN_KEY = `oidc-admin-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY, ADMIN_KEY);

/** RFC 7636 4.2, computed here rather than with the gateway's own helper. */

const CALLBACK = '/v1/oauth/callback';

afterEach(closeTestGateways);

/** A gateway on `port`, whose public URL (the redirect URI's base) is its own unless told otherwise. */
const startGateway = (
  port: number,
  accounts: Record<string, unknown>[],
  options: { redisUrl?: string; publicUrl?: string } = {},
) =>
  startTestGateway({
    name: 'oidc-provider',
    port,
    ...(options.redisUrl ? { redis: { url: options.redisUrl } } : {}),
    config: { publicUrl: options.publicUrl ?? `http://127.0.0.1:${port}` },
    admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
    clientKey: CLIENT_KEY,
    accounts,
  });

/** Registers every token the test sees, so the suite's log scan can prove none was logged. */
function observe(token: StoredToken | null | undefined): StoredToken {
  expect(token).toBeTruthy();
  registerSecrets(token!.accessToken, ...(token!.refreshToken ? [token!.refreshToken] : []));
  return token!;
}

async function proxied(gw: TestGateway, accountId: string, path = '/shipments') {
  const response = await fetch(`${gw.url}/v1/carriers/${accountId}${path}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function statusOf(gw: TestGateway, accountId: string): Promise<TokenStatus> {
  const response = await fetch(`${gw.url}/v1/accounts`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  const body = (await response.json()) as { accounts: TokenStatus[] };
  return body.accounts.find((status) => status.account === accountId)!;
}

/**
 * The operator's side of onboarding: GET the gateway's authorize route with the admin key, then a
 * browser through the server's login and consent until it is sent back to the gateway.
 */
async function authorizeAtServer(
  gw: TestGateway,
  accountId: string,
): Promise<{ request: URL; callback: URL }> {
  const response = await fetch(`${gw.url}/v1/accounts/${accountId}/authorize`, {
    redirect: 'manual',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(response.status).toBe(302);
  const request = new URL(response.headers.get('location')!);
  const callback = await new Browser().follow(request.toString(), (url) => url.pathname === CALLBACK);
  // Neither may ever appear in a log line (the suite-wide scan checks).
  registerSecrets(request.searchParams.get('state')!, callback.searchParams.get('code') ?? '');
  return { request, callback };
}

async function deliver(url: URL, accept = 'application/json') {
  const response = await fetch(url, { headers: { accept } });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: (accept.includes('json') ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

/** A token-endpoint tap: records what the gateway sent, forwards it unchanged, keeps the answers. */
async function startTap(
  target: string,
): Promise<{ server: RecordingServer; answers: Record<string, unknown>[] }> {
  const answers: Record<string, unknown>[] = [];
  const server = await startRecordingServer(async (req) => {
    registerSecrets(new URLSearchParams(req.body).get('code_verifier') ?? '');
    const headers = { ...req.headers };
    for (const name of ['host', 'connection', 'content-length', 'transfer-encoding']) delete headers[name];
    const response = await undiciRequest(`${target}${req.url}`, { method: 'POST', headers, body: req.body });
    const text = await response.body.text();
    const answer = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['access_token', 'refresh_token']) {
      if (typeof answer[key] === 'string') registerSecrets(answer[key]);
    }
    answers.push(answer);
    return { status: response.statusCode, headers: { 'content-type': 'application/json' }, body: text };
  });
  return { server, answers };
}

/** POSTs a refresh straight to the server, as the account's client: what does it think of this token? */
async function refreshDirectly(oidc: OidcServer, refreshToken: string) {
  const { clientId, clientSecret } = oidc.clients.authCode;
  const response = await fetch(oidc.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  for (const key of ['access_token', 'refresh_token'])
    if (typeof body[key] === 'string') registerSecrets(body[key]);
  return { status: response.status, body };
}

/** JWT checks the gateway applies to this server's tokens: signature via JWKS, aud, iss, scope. */
const tokenChecks = (oidc: OidcServer) => ({
  jwksUrl: oidc.jwksUrl,
  expectedAudience: oidc.resource,
  expectedIssuer: oidc.issuer,
  expectedScopes: [oidc.scope],
});

function clientCredentialsAccount(
  id: string,
  oidc: OidcServer,
  client: OidcClientCredentials,
  clientAuthentication: 'client_secret_basic' | 'client_secret_post',
): Record<string, unknown> {
  return {
    id,
    carrier: 'oauth2',
    urls: { token: oidc.tokenUrl, api: oidc.apiUrl },
    credentials: { ...client },
    oauth2: { clientAuthentication, scope: oidc.scope, resource: oidc.resource },
    token: tokenChecks(oidc),
  };
}

function authorizationCodeAccount(
  id: string,
  oidc: OidcServer,
  extra: { tokenUrl?: string; authorization?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    id,
    carrier: 'oauth2',
    grant: 'authorization_code',
    urls: { token: extra.tokenUrl ?? oidc.tokenUrl, authorize: oidc.authorizeUrl, api: oidc.apiUrl },
    credentials: { ...oidc.clients.authCode },
    oauth2: { clientAuthentication: 'client_secret_basic', scope: oidc.scope, resource: oidc.resource },
    token: tokenChecks(oidc),
    ...(extra.authorization ? { authorization: extra.authorization } : {}),
  };
}

describe('oauth2 carrier against oidc-provider', () => {
  let oidc: OidcServer;
  /**
   * Gateway ports, chosen first: the server must know the redirect URIs it accepts. Each gateway
   * gets its own, so no test reuses a keep-alive connection to a gateway an earlier test closed.
   */
  let ports: number[];
  let used = 0;
  const nextPort = () => ports[used++ % ports.length]!;

  beforeAll(async () => {
    const distinct = new Set<number>();
    while (distinct.size < 16) distinct.add(await freePort());
    ports = [...distinct];
    oidc = await startOidcServer({
      redirectUris: ports.map((port) => `http://127.0.0.1:${port}${CALLBACK}`),
    });
  });
  afterAll(async () => {
    await oidc?.close();
  });

  describe('client credentials (embedded)', () => {
    it.each([
      ['client_secret_basic', 'basic'],
      ['client_secret_post', 'post'],
    ] as const)(
      '%s: a JWT for the resource, verified against the JWKS, accepted by the API',
      async (method, which) => {
        const id = `cc-${which}`;
        const gw = await startGateway(nextPort(), [
          clientCredentialsAccount(id, oidc, oidc.clients[which], method),
        ]);
        const jwksBefore = oidc.stats().jwksRequests;
        const token = observe(await gw.gateway.engine.manager(id).getToken());
        expect(decodeProtectedHeader(token.accessToken)).toMatchObject({
          alg: 'RS256',
          typ: 'at+jwt',
          kid: oidc.signingKid(),
        });
        expect(decodeJwt(token.accessToken)).toMatchObject({
          iss: oidc.issuer,
          aud: oidc.resource,
          client_id: oidc.clients[which].clientId,
          scope: oidc.scope,
        });
        expect(token.refreshToken).toBeUndefined(); // RFC 6749 4.4.3
        // The signature was checked: the gateway fetched the server's key set (or had it cached).
        expect(oidc.stats().jwksRequests).toBeGreaterThanOrEqual(Math.min(1, jwksBefore + 1));
        const call = await proxied(gw, id, '/shipments?limit=1');
        expect(call.status).toBe(200);
        expect(call.body).toMatchObject({
          path: '/api/shipments?limit=1',
          client_id: oidc.clients[which].clientId,
        });
      },
    );

    it('a wrong client secret is refused with invalid_client: ERR_TOKEN_INVALID_CLIENT, sent once', async () => {
      const wrong = { clientId: oidc.clients.post.clientId, clientSecret: `wrong-secret-${randomUUID()}` };
      registerSecrets(wrong.clientSecret);
      const gw = await startGateway(nextPort(), [
        clientCredentialsAccount('cc-wrong-secret', oidc, wrong, 'client_secret_post'),
      ]);
      const requests = oidc.stats().tokenRequests;
      await expect(gw.gateway.engine.manager('cc-wrong-secret').getToken()).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_CLIENT',
        carrierCode: 'invalid_client',
        upstreamStatus: 401,
      });
      expect(oidc.stats().tokenRequests - requests).toBe(1);
    });
  });

  describe('authorization code + PKCE through the onboarding endpoints (embedded)', () => {
    let tap: { server: RecordingServer; answers: Record<string, unknown>[] };

    beforeAll(async () => {
      tap = await startTap(oidc.url);
    });
    afterAll(async () => {
      await tap?.server.close();
    });
    afterEach(() => {
      tap.server.clear();
      tap.answers.length = 0;
    });

    it('authorizes, stores access and refresh token, and the proxy works', async () => {
      const gw = await startGateway(nextPort(), [
        authorizationCodeAccount('oidc-ac', oidc, { tokenUrl: `${tap.server.url}/token` }),
      ]);
      const before = await statusOf(gw, 'oidc-ac');
      expect(before).toMatchObject({
        state: 'reauthorization_required',
        reauthorizationReason: 'not authorized yet',
        authorizeUrl: '/v1/accounts/oidc-ac/authorize',
      });
      expect((await proxied(gw, 'oidc-ac')).body.code).toBe('ERR_REAUTHORIZATION_REQUIRED');

      const interactionsBefore = oidc.stats().interactions;
      const { request, callback } = await authorizeAtServer(gw, 'oidc-ac');
      expect(`${request.origin}${request.pathname}`).toBe(oidc.authorizeUrl);
      expect(Object.fromEntries(request.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: oidc.clients.authCode.clientId,
        redirect_uri: `${gw.url}${CALLBACK}`,
        scope: oidc.scope,
        resource: oidc.resource,
        code_challenge_method: 'S256',
      });
      // Login and consent were both completed through the server's interaction flow.
      expect(oidc.stats().interactions - interactionsBefore).toBe(2);
      // RFC 9207: the server says who it is; the state is the one the gateway sent.
      expect(callback.searchParams.get('iss')).toBe(oidc.issuer);
      expect(callback.searchParams.get('state')).toBe(request.searchParams.get('state'));

      const page = await deliver(callback, 'text/html');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Account oidc-ac is authorized');

      // The exchange: the configured client authentication plus the verifier (RFC 7636 4.5),
      // whose S256 is the challenge the server checked before answering.
      expect(tap.server.requests).toHaveLength(1);
      const sent = tap.server.requests[0]!;
      expect(sent.headers.authorization).toMatch(/^Basic /);
      const form = expectCodeExchange(sent.body, {
        callback,
        redirectUri: `${gw.url}${CALLBACK}`,
        challenge: request.searchParams.get('code_challenge'),
      });
      const answer = tap.answers[0]!;
      for (const secret of [answer.access_token, answer.refresh_token, form['code_verifier'], form['code']]) {
        expect(page.text).not.toContain(secret);
      }

      const token = observe(await gw.gateway.engine.store.read('oidc-ac'));
      expect(token.accessToken).toBe(answer.access_token);
      expect(token.refreshToken).toBe(answer.refresh_token);
      expect(decodeJwt(token.accessToken)).toMatchObject({ sub: 'shipper-0001', aud: oidc.resource });
      const after = await statusOf(gw, 'oidc-ac');
      expect(after.state).toBe('ok');
      expect(after.authorizeUrl).toBeUndefined();
      const call = await proxied(gw, 'oidc-ac');
      expect(call.status).toBe(200);
      expect(call.body).toMatchObject({ sub: 'shipper-0001', client_id: oidc.clients.authCode.clientId });
    });

    it('the server checks the verifier: a tampered verifier is refused (ERR_OAUTH_CODE_REJECTED), nothing stored', async () => {
      // The tap replaces the verifier with another valid-looking one on its way to the server.
      const tampering = await startRecordingServer(async (req) => {
        const form = new URLSearchParams(req.body);
        form.set('code_verifier', 'A'.repeat(43));
        return postTokenForm(oidc.tokenUrl, form, req.headers.authorization!);
      });
      try {
        const gw = await startGateway(nextPort(), [
          authorizationCodeAccount('oidc-tampered', oidc, { tokenUrl: `${tampering.url}/token` }),
        ]);
        const { callback } = await authorizeAtServer(gw, 'oidc-tampered');
        const reply = await deliver(callback);
        expect(reply.status).toBe(400);
        expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_CODE_REJECTED', carrierCode: 'invalid_grant' });
        expect(await gw.gateway.engine.store.read('oidc-tampered')).toBeNull();
        expect((await statusOf(gw, 'oidc-tampered')).state).toBe('reauthorization_required');
      } finally {
        await tampering.close();
      }
    });

    it('denied consent at the server: ERR_OAUTH_ACCESS_DENIED, nothing stored', async () => {
      const gw = await startGateway(nextPort(), [authorizationCodeAccount('oidc-deny', oidc)]);
      oidc.denyNextInteraction();
      const { callback } = await authorizeAtServer(gw, 'oidc-deny');
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const reply = await deliver(callback);
      expect(reply.status).toBe(403);
      expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_ACCESS_DENIED', account: 'oidc-deny' });
      expect(await gw.gateway.engine.store.read('oidc-deny')).toBeNull();
      expect((await statusOf(gw, 'oidc-deny')).authorizeUrl).toBe('/v1/accounts/oidc-deny/authorize');
    });

    it('a callback naming another issuer (RFC 9207 iss): ERR_OAUTH_CALLBACK_INVALID, the code is not sent', async () => {
      const gw = await startGateway(nextPort(), [authorizationCodeAccount('oidc-mixup', oidc)]);
      const { callback } = await authorizeAtServer(gw, 'oidc-mixup');
      const mixedUp = new URL(callback);
      mixedUp.searchParams.set('iss', 'https://attacker.example');
      const tokenRequests = oidc.stats().tokenRequests;
      const reply = await deliver(mixedUp);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({ code: 'ERR_OAUTH_CALLBACK_INVALID', account: 'oidc-mixup' });
      expect(oidc.stats().tokenRequests).toBe(tokenRequests);
      expect(await gw.gateway.engine.store.read('oidc-mixup')).toBeNull();
    });

    it('PKCE turned off against a server that requires it: ERR_OAUTH_AUTHORIZATION_FAILED (invalid_request)', async () => {
      const gw = await startGateway(nextPort(), [
        authorizationCodeAccount('oidc-nopkce', oidc, { authorization: { pkce: false } }),
      ]);
      const { request, callback } = await authorizeAtServer(gw, 'oidc-nopkce');
      expect(request.searchParams.has('code_challenge')).toBe(false);
      const reply = await deliver(callback);
      expect(reply.status).toBe(502);
      expect(reply.json).toMatchObject({
        code: 'ERR_OAUTH_AUTHORIZATION_FAILED',
        carrierCode: 'invalid_request',
      });
      expect(await gw.gateway.engine.store.read('oidc-nopkce')).toBeNull();
    });

    it('a code presented twice: ERR_OAUTH_CODE_REJECTED (invalid_grant), the stored tokens untouched', async () => {
      const gw = await startGateway(nextPort(), [authorizationCodeAccount('oidc-replay', oidc)]);
      const first = await authorizeAtServer(gw, 'oidc-replay');
      expect((await deliver(first.callback)).status).toBe(200);
      const stored = observe(await gw.gateway.engine.store.read('oidc-replay'));
      // A second authorization, answered with the first one's code.
      const second = await authorizeAtServer(gw, 'oidc-replay');
      const replayed = new URL(second.callback);
      replayed.searchParams.set('code', first.callback.searchParams.get('code')!);
      const reply = await deliver(replayed);
      expect(reply.status).toBe(400);
      expect(reply.json).toMatchObject({
        code: 'ERR_OAUTH_CODE_REJECTED',
        carrierCode: 'invalid_grant',
        upstreamStatus: 400,
      });
      expect(await gw.gateway.engine.store.read('oidc-replay')).toEqual(stored);
    });
  });

  describe('refresh-token rotation', () => {
    it('embedded: every forced refresh rotates; afterwards the server refuses the old refresh tokens', async () => {
      const gw = await startGateway(nextPort(), [authorizationCodeAccount('oidc-rotate', oidc)]);
      const { callback } = await authorizeAtServer(gw, 'oidc-rotate');
      expect((await deliver(callback)).status).toBe(200);
      const manager = gw.gateway.engine.manager('oidc-rotate');
      const seen = [observe(await gw.gateway.engine.store.read('oidc-rotate'))];
      for (let round = 0; round < 3; round += 1) {
        seen.push(observe(await manager.invalidate(seen.at(-1)!.accessToken)));
      }
      const refreshTokens = seen.map((token) => token.refreshToken!);
      expect(new Set(refreshTokens).size).toBe(4);
      expect(seen.map((token) => token.generation)).toEqual(
        [...seen.map((token) => token.generation)].sort((x, y) => x - y),
      );
      expect((await proxied(gw, 'oidc-rotate')).status).toBe(200);

      // RFC 9700 4.14.2: a rotated-out refresh token is refused (and the server revokes the grant).
      const old = await refreshDirectly(oidc, refreshTokens[1]!);
      expect(old.status).toBe(400);
      expect(old.body.error).toBe('invalid_grant');
      // The grant is gone, so the gateway's next refresh is refused too: the account asks for an operator.
      await expect(manager.invalidate(seen.at(-1)!.accessToken)).rejects.toMatchObject({
        code: 'ERR_TOKEN_INVALID_GRANT',
      });
      const status = await statusOf(gw, 'oidc-rotate');
      expect(status).toMatchObject({
        state: 'reauthorization_required',
        authorizeUrl: '/v1/accounts/oidc-rotate/authorize',
      });
      // And onboarding again brings it back.
      const again = await authorizeAtServer(gw, 'oidc-rotate');
      expect((await deliver(again.callback)).status).toBe(200);
      expect((await statusOf(gw, 'oidc-rotate')).state).toBe('ok');
      expect((await proxied(gw, 'oidc-rotate')).status).toBe(200);
      observe(await gw.gateway.engine.store.read('oidc-rotate'));
    });

    describe('two instances on one Redis', () => {
      const redis = TestRedis.forSuite();

      it('onboarding on one instance, refreshes alternating between both: each presents the latest refresh token', async () => {
        const portA = nextPort();
        const publicUrl = `http://127.0.0.1:${portA}`;
        const a = await startGateway(portA, [authorizationCodeAccount('oidc-fleet', oidc)], {
          redisUrl: redis.url,
          publicUrl,
        });
        const b = await startGateway(nextPort(), [authorizationCodeAccount('oidc-fleet', oidc)], {
          redisUrl: redis.url,
          publicUrl,
        });
        // Started on B; the server sends the browser back to the public URL, which is A.
        const { callback } = await authorizeAtServer(b, 'oidc-fleet');
        expect(callback.port).toBe(String(portA));
        expect((await deliver(callback)).status).toBe(200);
        const first = observe(await a.gateway.engine.store.read('oidc-fleet'));

        const seen = [first];
        for (const instance of [b, a, b, a]) {
          const manager = instance.gateway.engine.manager('oidc-fleet');
          const latest = seen.at(-1)!.generation;
          // The other instance's refresh reaches this one through the token-events channel.
          const deadline = Date.now() + 5_000;
          while ((await manager.getToken()).generation !== latest && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          const current = observe(await manager.getToken());
          expect(current.generation).toBe(latest);
          // Dropped as if the API had rejected it: this instance refreshes with the latest refresh token.
          seen.push(observe(await manager.invalidate(current.accessToken)));
          expect(seen.at(-1)!.generation).toBeGreaterThan(latest);
        }
        expect(new Set(seen.map((token) => token.refreshToken)).size).toBe(seen.length);
        for (const instance of [a, b]) expect((await proxied(instance, 'oidc-fleet')).status).toBe(200);
        // The server never saw a refresh token twice: the latest one still works for it.
        const latest = await refreshDirectly(oidc, seen.at(-1)!.refreshToken!);
        expect(latest.status).toBe(200);
        expect((await refreshDirectly(oidc, first.refreshToken!)).status).toBe(400);
      });
    });
  });
});

describe('JWKS signing-key rotation while the gateway runs', () => {
  let oidc: OidcServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    oidc = await startOidcServer({ redirectUris: [] });
  });
  afterAll(async () => {
    await oidc?.close();
  });

  it('tokens signed with the new key verify: jose refetches the key set on an unknown kid', async () => {
    const gw = await startGateway(port, [
      clientCredentialsAccount('cc-rotate', oidc, oidc.clients.basic, 'client_secret_basic'),
    ]);
    const manager = gw.gateway.engine.manager('cc-rotate');
    const before = observe(await manager.getToken());
    const fetchedAt = Date.now();
    const oldKid = oidc.signingKid();
    expect(decodeProtectedHeader(before.accessToken).kid).toBe(oldKid);
    const jwksRequests = oidc.stats().jwksRequests;
    expect(jwksRequests).toBeGreaterThanOrEqual(1);

    const newKid = await oidc.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    // jose's remote key set refetches on an unknown kid only once its cooldown after the last fetch
    // has passed (JWKS_REFETCH_COOLDOWN_MS); before that a token with a new kid fails verification.
    // Wait it out, then force a refresh.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, JWKS_REFETCH_COOLDOWN_MS + 500 - (Date.now() - fetchedAt))),
    );
    const after = observe(await manager.invalidate(before.accessToken));
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    expect(oidc.stats().jwksRequests).toBe(jwksRequests + 1);
    const call = await proxied(gw, 'cc-rotate');
    expect(call.status).toBe(200);
    expect(call.body.kid).toBe(newKid);
  }, 60_000);
});
