/**
 * @module test/carriers/oauth2/simulator
 * The generic OAuth 2.0 simulator follows RFC 6749 (client auth methods, grants, §5.2 errors),
 * RFC 9068/7517 (RS256 JWTs verifiable via /jwks), RFC 6750 (Bearer challenges) and RFC 7662
 * (token introspection), and its revocation fault.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  OAUTH2_CONTROL_PATHS,
  OAUTH2_DEFAULT_FAULTS,
  OAUTH2_PATHS,
  startOAuth2Simulator,
  type OAuth2SimulatorHandle,
} from '../../../carriers/oauth2/simulator.js';
import { basic, call, form, jwtPayload, postJson } from '../../support/sim-http.js';

const CLIENT = { clientId: 'client one', clientSecret: 's3cr:et' };
const OTHER = { clientId: 'client-two', clientSecret: 'other' };
const USER = { username: 'alice', password: 'wonderland' };

/** RFC 6749 §2.3.1: form-url-encode id and secret before base64. */
const basicEncoded = (id: string, secret: string) =>
  basic(encodeURIComponent(id), encodeURIComponent(secret));

describe('generic OAuth 2.0 simulator', () => {
  let sim: OAuth2SimulatorHandle;

  beforeEach(async () => {
    sim = await startOAuth2Simulator({
      clients: [CLIENT, OTHER],
      users: [USER],
      audience: 'https://api.example',
    });
  });
  afterEach(() => sim.close());

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(`${sim.url}${OAUTH2_PATHS.token}`, form(fields, headers));
  const viaBasic = (fields: Record<string, string>, client = CLIENT) =>
    token(fields, { authorization: basicEncoded(client.clientId, client.clientSecret) });
  const resource = (accessToken: string) =>
    call(`${sim.url}${OAUTH2_PATHS.resource}`, { headers: { authorization: `Bearer ${accessToken}` } });

  it('issues RS256 JWTs verifiable with /jwks, with iss, aud, sub, iat, nbf, exp and scope', async () => {
    const reply = await viaBasic({ grant_type: 'client_credentials', scope: 'track rate' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const body = reply.body as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'track rate' });
    expect(body).not.toHaveProperty('refresh_token');
    expect(OAUTH2_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(3600);

    const jwks = createRemoteJWKSet(new URL(`${sim.url}${OAUTH2_PATHS.jwks}`));
    const { payload, protectedHeader } = await jwtVerify(body['access_token'] as string, jwks, {
      issuer: sim.url,
      audience: 'https://api.example',
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: sim.jwks().keys[0]?.kid });
    expect(payload).toMatchObject({ sub: CLIENT.clientId, scope: 'track rate', client_id: CLIENT.clientId });
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
    expect(payload.nbf).toBe(payload.iat);
  });

  it('accepts client_secret_post, and takes audience/resource into aud', async () => {
    const reply = await token({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      audience: 'https://other.example',
    });
    expect(reply.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${sim.url}${OAUTH2_PATHS.jwks}`));
    const accessToken = (reply.body as { access_token: string }).access_token;
    await expect(jwtVerify(accessToken, jwks, { audience: 'https://other.example' })).resolves.toBeTruthy();

    const withResource = await viaBasic({ grant_type: 'client_credentials', resource: 'urn:res' });
    const aud = await jwtVerify((withResource.body as { access_token: string }).access_token, jwks);
    expect(aud.payload.aud).toBe('urn:res');
  });

  it('rejects two client authentication methods at once (RFC 6749 §2.3)', async () => {
    const reply = await viaBasic({ grant_type: 'client_credentials', client_secret: CLIENT.clientSecret });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'invalid_request' });
  });

  it('answers invalid_client with 401 and WWW-Authenticate, also after rotateSecret', async () => {
    const none = await token({ grant_type: 'client_credentials' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(none.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });

    sim.rotateSecret(CLIENT.clientId, 'new-secret');
    const old = await viaBasic({ grant_type: 'client_credentials' });
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ error: 'invalid_client' });
    expect(
      (await viaBasic({ grant_type: 'client_credentials' }, { ...CLIENT, clientSecret: 'new-secret' }))
        .status,
    ).toBe(200);
  });

  it('reports unsupported_grant_type and invalid_grant per RFC 6749 §5.2', async () => {
    expect((await viaBasic({ grant_type: 'urn:custom' })).body).toMatchObject({
      error: 'unsupported_grant_type',
    });
    const badUser = await viaBasic({ grant_type: 'password', username: 'alice', password: 'nope' });
    expect(badUser.status).toBe(400);
    expect(badUser.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('password grant returns a refresh token; refresh rotates it; reuse revokes the family', async () => {
    const login = (await viaBasic({ grant_type: 'password', ...USER, scope: 'a b' })).body as Record<
      string,
      string
    >;
    expect(login['refresh_token']).toEqual(expect.any(String));
    expect((await resource(login['access_token'] ?? '')).body).toMatchObject({ sub: 'alice', scope: 'a b' });

    const refreshed = await viaBasic({
      grant_type: 'refresh_token',
      refresh_token: login['refresh_token'] ?? '',
    });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body as Record<string, string>;
    expect(next['refresh_token']).not.toBe(login['refresh_token']);
    expect(next['scope']).toBe('a b');

    // Another client may not spend it, and that attempt does not burn it.
    const stolen = await viaBasic(
      { grant_type: 'refresh_token', refresh_token: next['refresh_token'] ?? '' },
      OTHER,
    );
    expect(stolen.body).toMatchObject({ error: 'invalid_grant' });
    expect(sim.stats().refreshTokenReuses).toBe(0);

    const replay = await viaBasic({
      grant_type: 'refresh_token',
      refresh_token: login['refresh_token'] ?? '',
    });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
    expect(sim.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1 });
    expect(sim.isAccessTokenValid(next['access_token'] ?? '')).toBe(false);
    expect(
      (await viaBasic({ grant_type: 'refresh_token', refresh_token: next['refresh_token'] ?? '' })).status,
    ).toBe(400);

    // A second replay counts again but the family is only revoked once.
    await viaBasic({ grant_type: 'refresh_token', refresh_token: login['refresh_token'] ?? '' });
    expect(sim.stats()).toMatchObject({ refreshTokenReuses: 2, familiesRevoked: 1 });
  });

  it('refresh may narrow the scope but not widen it', async () => {
    const seed = sim.issueRefreshToken(CLIENT.clientId);
    const wider = await viaBasic({ grant_type: 'refresh_token', refresh_token: seed, scope: 'api admin' });
    expect(wider.body).toMatchObject({ error: 'invalid_scope' });
    const same = await viaBasic({ grant_type: 'refresh_token', refresh_token: seed, scope: 'api' });
    expect(same.status).toBe(200);
  });

  it('protects /api with RFC 6750 challenges and echoes POST bodies', async () => {
    const missing = await call(`${sim.url}${OAUTH2_PATHS.resource}`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="oauth2-sim"');

    const bogus = await resource('bogus');
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const accessToken = (
      (await viaBasic({ grant_type: 'client_credentials' })).body as { access_token: string }
    ).access_token;
    const echo = await call(
      `${sim.url}${OAUTH2_PATHS.echo}`,
      postJson({ hello: 'world' }, { authorization: `Bearer ${accessToken}` }),
    );
    expect(echo.body).toEqual({ method: 'POST', body: { hello: 'world' } });
    expect(sim.stats()).toMatchObject({ apiRequests: 3, apiRejections: 2 });
  });

  it('throttles like USPS and lies with 200 + invalid_client when asked', async () => {
    await sim.setFaults({ throttle: { count: 2, retryAfterSeconds: 30 } });
    const first = await viaBasic({ grant_type: 'client_credentials' });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('30');
    expect(first.body).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/^SpikeArrestViolation: /),
    });
    sim.faults.throttle.retryAfterSeconds = undefined;
    const second = await viaBasic({ grant_type: 'client_credentials' });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect((await viaBasic({ grant_type: 'client_credentials' })).status).toBe(200);

    await sim.setFaults({ errorInSuccessBody: true });
    const lying = await viaBasic({ grant_type: 'client_credentials' });
    expect(lying.status).toBe(200);
    expect(lying.body).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
  });

  it('publishes RFC 8414 metadata', async () => {
    const meta = await call(`${sim.url}${OAUTH2_PATHS.metadata}`);
    expect(meta.body).toMatchObject({
      issuer: sim.issuer,
      token_endpoint: `${sim.url}${OAUTH2_PATHS.token}`,
      jwks_uri: `${sim.url}${OAUTH2_PATHS.jwks}`,
      introspection_endpoint: `${sim.url}${OAUTH2_PATHS.introspect}`,
    });
  });

  describe('token introspection (RFC 7662)', () => {
    const introspect = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      call(`${sim.url}${OAUTH2_PATHS.introspect}`, form(fields, headers));
    const asClient = (fields: Record<string, string>, client = CLIENT) =>
      introspect(fields, { authorization: basicEncoded(client.clientId, client.clientSecret) });
    const issued = async (client = CLIENT, scope = 'track rate') =>
      ((await viaBasic({ grant_type: 'client_credentials', scope }, client)).body as { access_token: string })
        .access_token;

    it('requires client authentication: 401 invalid_client without it or with a wrong secret (2.1, 2.3)', async () => {
      const accessToken = await issued();
      const anonymous = await introspect({ token: accessToken });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(anonymous.body).toMatchObject({ error: 'invalid_client' });
      // A public client's bare client_id is no authentication.
      expect((await introspect({ token: accessToken, client_id: CLIENT.clientId })).status).toBe(401);
      const wrong = await asClient({ token: accessToken }, { ...CLIENT, clientSecret: 'wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toHaveProperty('active');
      // client_secret_post is as good as Basic (RFC 6749 2.3.1).
      const posted = await introspect({
        token: accessToken,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      });
      expect(posted).toMatchObject({ status: 200, body: { active: true } });
      expect(sim.introspectionRequests()).toBe(4);
    });

    it('an active token: active, scope, client_id, exp, iat and token_type, matching the JWT (2.2)', async () => {
      const accessToken = await issued();
      const reply = await asClient({ token: accessToken, token_type_hint: 'access_token' });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const claims = jwtPayload(accessToken);
      expect(reply.body).toEqual({
        active: true,
        scope: 'track rate',
        client_id: CLIENT.clientId,
        exp: claims['exp'],
        iat: claims['iat'],
        token_type: 'Bearer',
      });
      // Another authenticated client may ask too; the hint is only a hint (2.1).
      expect(
        (await asClient({ token: accessToken, token_type_hint: 'refresh_token' }, OTHER)).body,
      ).toMatchObject({ active: true, client_id: CLIENT.clientId });
    });

    it('an inactive token is {"active": false} and nothing else; a missing token is invalid_request (2.1, 2.2)', async () => {
      expect(await asClient({ token: 'never-issued' })).toMatchObject({
        status: 200,
        body: { active: false },
      });
      expect((await asClient({ token: 'never-issued' })).body).toEqual({ active: false });
      const seed = sim.issueRefreshToken(CLIENT.clientId);
      expect((await asClient({ token: seed, token_type_hint: 'refresh_token' })).body).toEqual({
        active: false,
      });

      // A token the carrier dropped early reads the same: 2.2 gives no reason.
      const dropped = await issued();
      await sim.setFaults({ prematureExpirySeconds: 0 });
      expect((await asClient({ token: dropped })).body).toEqual({ active: false });

      const missing = await asClient({});
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ error: 'invalid_request' });
      expect((await call(`${sim.url}${OAUTH2_PATHS.introspect}`)).status).toBe(405);
    });
  });

  describe('the revocation fault', () => {
    const introspected = async (accessToken: string) =>
      (
        await call(
          `${sim.url}${OAUTH2_PATHS.introspect}`,
          form({ token: accessToken }, { authorization: basicEncoded(CLIENT.clientId, CLIENT.clientSecret) }),
        )
      ).body;
    const issued = async (client = CLIENT) =>
      ((await viaBasic({ grant_type: 'client_credentials' }, client)).body as { access_token: string })
        .access_token;

    it("revokes a client's access tokens issued so far: 401 invalid_token at the API, inactive at introspection", async () => {
      const [first, second, others] = [await issued(), await issued(), await issued(OTHER)];
      expect(sim.revokeAccessTokens(CLIENT.clientId)).toBe(2);

      for (const revoked of [first, second]) {
        const rejected = await resource(revoked);
        expect(rejected.status).toBe(401);
        // RFC 6750 3.1: the challenge names invalid_token.
        expect(rejected.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
        expect(rejected.body).toMatchObject({ error: 'invalid_token' });
        expect(await introspected(revoked)).toEqual({ active: false });
        expect(sim.isAccessTokenValid(revoked)).toBe(false);
      }
      // Other clients' tokens, and tokens issued afterwards, are untouched.
      expect((await resource(others)).status).toBe(200);
      expect(sim.isAccessTokenValid(others)).toBe(true);
      const after = await issued();
      expect((await resource(after)).status).toBe(200);
      expect(await introspected(after)).toMatchObject({ active: true });
      expect(sim.revokeAccessTokens(CLIENT.clientId)).toBe(1);
    });

    it('leaves refresh tokens alone: a refresh after the revocation gets a working access token', async () => {
      const login = (await viaBasic({ grant_type: 'password', ...USER })).body as Record<string, string>;
      sim.revokeAccessTokens();
      expect((await resource(login['access_token'] ?? '')).status).toBe(401);
      const refreshed = await viaBasic({
        grant_type: 'refresh_token',
        refresh_token: login['refresh_token'] ?? '',
      });
      expect(refreshed.status).toBe(200);
      expect((await resource((refreshed.body as Record<string, string>)['access_token'] ?? '')).status).toBe(
        200,
      );
    });

    it('is switched over HTTP for a gateway in another process: every client, or one', async () => {
      const [mine, others] = [await issued(), await issued(OTHER)];
      const control = (body?: unknown) =>
        call(
          `${sim.url}${OAUTH2_CONTROL_PATHS.revokeAccessTokens}`,
          body === undefined ? { method: 'POST' } : postJson(body),
        );
      expect(await control({ clientId: OTHER.clientId })).toMatchObject({
        status: 200,
        body: { revoked: 1 },
      });
      expect(sim.isAccessTokenValid(others)).toBe(false);
      expect(sim.isAccessTokenValid(mine)).toBe(true);
      expect(await control()).toMatchObject({ status: 200, body: { revoked: 1 } });
      expect(sim.isAccessTokenValid(mine)).toBe(false);
      expect((await control({ client: 'typo' })).status).toBe(400);
      expect((await call(`${sim.url}${OAUTH2_CONTROL_PATHS.revokeAccessTokens}`)).status).toBe(405);
    });
  });
});
