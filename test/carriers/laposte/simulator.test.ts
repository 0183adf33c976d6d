/**
 * @module test/carriers/laposte/simulator
 * The La Poste simulator speaks Okapi and Suivi v2: the static X-Okapi-Key with the observed 401
 * body, the per-key quota with the observed 429 body, Suivi's Accept/lang/idShip rules and its
 * 200-array / 207 / 400 / 404 answers. In OAuth mode it runs RFC 6749 authorization code with
 * RFC 7636 S256 PKCE and single-use rotating refresh tokens, and reproduces the production
 * failure: two refreshes racing with one refresh token revoke the whole token family.
 */
import { decorateLaposteRequest } from '../../../carriers/laposte/api.js';
import { createHash, randomBytes } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  LAPOSTE_DEFAULT_QUOTA,
  LAPOSTE_PATHS,
  LAPOSTE_UNKNOWN_IDSHIP,
  startLaposteSimulator,
  type LaposteSimulatorHandle,
} from '../../../carriers/laposte/simulator.js';
import { manualClock, type ManualClock } from '../../../src/sim/index.js';
import { call, connectionError, form, postJson, type Reply } from '../../support/sim-http.js';

const APP = { clientId: 'laposte-app', clientSecret: 'okapi-key-0123456789abcdef' };
const OTHER = { clientId: 'laposte-other-app', clientSecret: 'okapi-key-other-0123456789' };
const ID = '1A00915820380';
const ID2 = '8K00009775862';
const JSON_ACCEPT = { accept: 'application/json' };
const UNAUTHORIZED = { code: 'UNAUTHORIZED', message: 'This action requires an authorization' };
const REDIRECT = 'https://gateway.example/v1/oauth/callback';

/** RFC 6749 2.3.1: id and secret are form-url-encoded before Basic. */
function basicForm(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

/** RFC 7636 4.1 / 4.2. */
function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}

describe('La Poste simulator: Okapi key and Suivi v2', () => {
  let sim: LaposteSimulatorHandle;
  let clock: ManualClock;

  beforeEach(async () => {
    // Start mid-window so a test never straddles a quota window boundary by accident.
    clock = manualClock(1_700_000_000_000);
    sim = await startLaposteSimulator({ clients: [APP, OTHER], clock, quota: { limit: 3, windowMs: 1000 } });
  });
  afterEach(() => sim.close());

  const suivi = (
    ids: string,
    headers: Record<string, string> = { 'x-okapi-key': APP.clientSecret, ...JSON_ACCEPT },
    query = '?lang=fr_FR',
  ) => call(`${sim.url}${LAPOSTE_PATHS.suivi}${ids}${query}`, { headers });

  it('answers a tracked idShip with a 200 array of one unitary answer (baseResponse + shipment)', async () => {
    const reply = await suivi(ID);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json');
    const [item] = reply.body as Record<string, unknown>[];
    expect(reply.body).toHaveLength(1);
    expect(item).toMatchObject({
      lang: 'fr_FR',
      scope: 'open',
      returnCode: 200,
      shipment: { idShip: ID, holder: 4 },
    });
    const shipment = item!['shipment'] as {
      timeline: { id: number }[];
      event: Record<string, unknown>[];
      url: string;
    };
    expect(shipment.timeline.map((step) => step.id)).toEqual([1, 2, 3, 4, 5]);
    for (const event of shipment.event)
      expect(Object.keys(event).sort()).toEqual(['code', 'date', 'label', 'order']);
    expect(shipment.url).toContain(ID);
    expect(sim.stats()).toMatchObject({ apiRequests: 1, apiRejections: 0, tokenRequests: 0 });
  });

  it('refuses a missing or wrong X-Okapi-Key with the observed 401 body, and counts the rejections', async () => {
    const missing = await suivi(ID, JSON_ACCEPT);
    expect(missing).toMatchObject({ status: 401, body: UNAUTHORIZED });
    const wrong = await suivi(ID, { 'x-okapi-key': 'not-a-registered-key-000', ...JSON_ACCEPT });
    expect(wrong).toMatchObject({ status: 401, body: UNAUTHORIZED });
    // A client id is not a key: only the secret is.
    expect((await suivi(ID, { 'x-okapi-key': APP.clientId, ...JSON_ACCEPT })).status).toBe(401);
    expect(sim.stats()).toMatchObject({ apiRequests: 3, apiRejections: 3 });
  });

  it('enforces Accept: application/json, the lang enum, the idShip format and at most 10 ids with 400', async () => {
    const expect400 = (reply: Reply, idShip: string) => {
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({
        returnCode: 400,
        returnMessage: expect.any(String),
        idShip,
        scope: 'open',
      });
    };
    expect400(await suivi(ID, { 'x-okapi-key': APP.clientSecret }), ID);
    expect400(await suivi(ID, undefined, '?lang=pt_PT'), ID);
    const malformed = await suivi('ABC-123');
    expect400(malformed, 'ABC-123');
    expect((malformed.body as { returnMessage: string }).returnMessage).toMatch(
      /^Le numéro que vous avez saisi/,
    );
    sim.resetStats();
    clock.advance(1000);
    const eleven = Array.from({ length: 11 }, (_, i) => `1A0091582${String(1000 + i)}`).join(',');
    expect400(await suivi(eleven), eleven);
    // Ten is the limit, not an error.
    const ten = Array.from({ length: 10 }, (_, i) => `1A0091582${String(1000 + i)}`).join(',');
    expect((await suivi(ten)).status).toBe(200);
  });

  it('uses lang=fr_FR by default and echoes another supported lang', async () => {
    const byDefault = await suivi(ID, undefined, '');
    expect((byDefault.body as { lang: string }[])[0]!.lang).toBe('fr_FR');
    const english = await suivi(ID, undefined, '?lang=en_GB');
    expect((english.body as { lang: string }[])[0]!.lang).toBe('en_GB');
  });

  it('answers an unknown idShip 404 with returnCode 104, and a mixed list 207 with every unitary answer', async () => {
    const unknown = await suivi(LAPOSTE_UNKNOWN_IDSHIP);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ returnCode: 104, idShip: LAPOSTE_UNKNOWN_IDSHIP, lang: 'fr_FR' });

    const mixed = await suivi(`${ID},${LAPOSTE_UNKNOWN_IDSHIP}`);
    expect(mixed.status).toBe(207);
    expect((mixed.body as { returnCode: number; idShip?: string }[]).map((a) => a.returnCode)).toEqual([
      200, 104,
    ]);

    const both = await suivi(`${ID},${ID2}`);
    expect(both.status).toBe(200);
    expect((both.body as { shipment: { idShip: string } }[]).map((a) => a.shipment.idShip)).toEqual([
      ID,
      ID2,
    ]);
  });

  it('enforces the per-key quota in fixed windows with the observed 429 body', async () => {
    for (let i = 0; i < 3; i += 1) expect((await suivi(ID)).status).toBe(200);
    const over = await suivi(ID);
    expect(over).toMatchObject({
      status: 429,
      body: { code: 'TOO_MANY_REQUESTS', message: 'max quota reached (3 calls per 1s)' },
    });
    // Another application's key has its own quota.
    expect((await suivi(ID, { 'x-okapi-key': OTHER.clientSecret, ...JSON_ACCEPT })).status).toBe(200);
    clock.advance(1000);
    expect((await suivi(ID)).status).toBe(200);
    // A refused key is answered 401 and never reaches the quota.
    expect((await suivi(ID, { 'x-okapi-key': 'not-a-registered-key-000', ...JSON_ACCEPT })).status).toBe(401);
  });

  it('defaults to 100 calls per 1 s, and refuses a nonsensical quota at construction', async () => {
    expect(LAPOSTE_DEFAULT_QUOTA).toEqual({ limit: 100, windowMs: 1000 });
    const other = await startLaposteSimulator({ clients: [APP], clock });
    try {
      const replies = await Promise.all(
        Array.from({ length: 101 }, () =>
          call(`${other.url}${LAPOSTE_PATHS.suivi}${ID}`, {
            headers: { 'x-okapi-key': APP.clientSecret, ...JSON_ACCEPT },
          }),
        ),
      );
      expect(replies.filter((reply) => reply.status === 200)).toHaveLength(100);
      expect(replies.filter((reply) => reply.status === 429).map((reply) => reply.body)).toEqual([
        { code: 'TOO_MANY_REQUESTS', message: 'max quota reached (100 calls per 1s)' },
      ]);
    } finally {
      await other.close();
    }
    await expect(startLaposteSimulator({ quota: { limit: 0, windowMs: 1000 } })).rejects.toThrow(
      /quota.limit/,
    );
    await expect(startLaposteSimulator({ quota: { limit: 1, windowMs: 0.5 } })).rejects.toThrow(
      /quota.windowMs/,
    );
  });

  it('follows key rotation and clients added through the control API', async () => {
    sim.rotateSecret(APP.clientId, 'okapi-key-rotated-0123456789');
    expect((await suivi(ID)).status).toBe(401);
    expect((await suivi(ID, { 'x-okapi-key': 'okapi-key-rotated-0123456789', ...JSON_ACCEPT })).status).toBe(
      200,
    );

    const added = await call(
      `${sim.url}/__sim/clients`,
      postJson({ clientId: 'late-app', clientSecret: 'okapi-key-late-0123456789' }),
    );
    expect(added.status).toBe(201);
    expect((await suivi(ID, { 'x-okapi-key': 'okapi-key-late-0123456789', ...JSON_ACCEPT })).status).toBe(
      200,
    );
  });

  it('has no OAuth endpoints and no refresh tokens unless the OAuth mode is on', async () => {
    const token = await call(
      `${sim.url}${LAPOSTE_PATHS.token}`,
      form({ grant_type: 'refresh_token', refresh_token: 'x' }),
    );
    expect(token).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(sim.stats().tokenRequests).toBe(0);
    expect(() => sim.issueRefreshToken(APP.clientId)).toThrow(/no refresh tokens/);
    expect(() => sim.issueAuthorizationCode(APP.clientId, REDIRECT, pkcePair().challenge)).toThrow(
      /OAuth mode/,
    );
  });

  it('applies the kit outage fault to Suivi calls', async () => {
    await sim.setFaults({ outage: 'reset' });
    expect(await connectionError(`${sim.url}${LAPOSTE_PATHS.suivi}${ID}`)).toMatch(
      /ECONNRESET|UND_ERR_SOCKET/,
    );
    await sim.resetFaults();
    expect((await suivi(ID)).status).toBe(200);
  });
});

describe('La Poste simulator: OAuth mode (RFC 6749 + RFC 7636)', () => {
  let sim: LaposteSimulatorHandle;

  beforeEach(async () => {
    sim = await startLaposteSimulator({ clients: [APP], oauth: true });
  });
  afterEach(() => sim.close());

  const token = (fields: Record<string, string>, authorization = basicForm(APP.clientId, APP.clientSecret)) =>
    call(`${sim.url}${LAPOSTE_PATHS.token}`, form(fields, { authorization }));
  const authorize = (params: Record<string, string>) =>
    call(`${sim.url}${LAPOSTE_PATHS.authorize}?${new URLSearchParams(params)}`);
  const suiviWith = (accessToken: string) =>
    call(`${sim.url}${LAPOSTE_PATHS.suivi}${ID}`, {
      headers: { cookie: `access_token=${accessToken}`, ...JSON_ACCEPT },
    });

  /** The whole front channel: /authorize → code → /token with the verifier. */
  async function consent(): Promise<{ access_token: string; refresh_token: string }> {
    const { verifier, challenge } = pkcePair();
    const code = sim.issueAuthorizationCode(APP.clientId, REDIRECT, challenge);
    const reply = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(reply.status).toBe(200);
    return reply.body as { access_token: string; refresh_token: string };
  }

  it('/authorize redirects back with a code and the state; /token checks the S256 verifier and issues tokens once', async () => {
    const { verifier, challenge } = pkcePair();
    const reply = await authorize({
      response_type: 'code',
      client_id: APP.clientId,
      redirect_uri: REDIRECT,
      state: 'state-123',
      scope: 'suivi',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(reply.status).toBe(302);
    const location = new URL(reply.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('state-123');
    const code = location.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const exchange = () =>
      token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.any(String),
      scope: 'suivi',
    });
    const { access_token: accessToken } = first.body as { access_token: string };
    expect((await suiviWith(accessToken)).status).toBe(200);

    // RFC 6749 4.1.2: the code is single use, and its second use revokes what it produced.
    expect(await exchange()).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await suiviWith(accessToken)).toMatchObject({ status: 401, body: UNAUTHORIZED });
  });

  it('a wrong code_verifier is invalid_grant and spends the code; a missing one is invalid_request', async () => {
    const { verifier, challenge } = pkcePair();
    const code = sim.issueAuthorizationCode(APP.clientId, REDIRECT, challenge);
    const missing = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const wrong = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkcePair().verifier,
    });
    expect(wrong).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.stringMatching(/code_verifier/) },
    });
    const late = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const other = sim.issueAuthorizationCode(APP.clientId, REDIRECT, challenge);
    const elsewhere = await token({
      grant_type: 'authorization_code',
      code: other,
      redirect_uri: 'https://evil.example/cb',
      code_verifier: verifier,
    });
    expect(elsewhere).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(sim.stats().tokensIssued).toBe(0);
  });

  it('/authorize refuses without redirecting for a bad client or redirect URI, and redirects other errors', async () => {
    const { challenge } = pkcePair();
    const base = {
      response_type: 'code',
      client_id: APP.clientId,
      redirect_uri: REDIRECT,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    expect(await authorize({ ...base, client_id: 'nobody' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(await authorize({ ...base, redirect_uri: 'not a url' })).toMatchObject({ status: 400 });
    expect(await authorize({ ...base, redirect_uri: `${REDIRECT}#frag` })).toMatchObject({ status: 400 });

    const errorOf = async (params: Record<string, string>) => {
      const reply = await authorize(params);
      expect(reply.status).toBe(302);
      const location = new URL(reply.headers.get('location')!);
      expect(location.searchParams.get('state')).toBe('s');
      expect(location.searchParams.get('code')).toBeNull();
      return location.searchParams.get('error');
    };
    expect(await errorOf({ ...base, response_type: 'token' })).toBe('unsupported_response_type');
    const without = (name: string) =>
      Object.fromEntries(Object.entries(base).filter(([key]) => key !== name));
    expect(await errorOf(without('code_challenge'))).toBe('invalid_request');
    // No method means "plain" (RFC 7636 4.3): refused, only S256 is accepted.
    expect(await errorOf(without('code_challenge_method'))).toBe('invalid_request');
    expect(await errorOf({ ...base, code_challenge: 'too-short' })).toBe('invalid_request');
  });

  it('authenticates the client with form-url-encoded Basic only', async () => {
    const reserved = { clientId: 'laposte-app:2', clientSecret: 's3cr:t+/ é-0123456789' };
    sim.addClient(reserved);
    const seed = sim.issueRefreshToken(reserved.clientId);
    const ok = await token(
      { grant_type: 'refresh_token', refresh_token: seed },
      basicForm(reserved.clientId, reserved.clientSecret),
    );
    expect(ok.status).toBe(200);

    const wrong = await token(
      { grant_type: 'refresh_token', refresh_token: 'x' },
      basicForm(APP.clientId, 'wrong-secret'),
    );
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    const posted = await call(
      `${sim.url}${LAPOSTE_PATHS.token}`,
      form({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: APP.clientId,
        client_secret: APP.clientSecret,
      }),
    );
    expect(posted).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const both = await token({
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_secret: APP.clientSecret,
    });
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token({ grant_type: 'client_credentials' })).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
  });

  it('rotates refresh tokens: each refresh returns a new one and spends the old', async () => {
    let current = (await consent()).refresh_token;
    for (let i = 0; i < 3; i += 1) {
      const reply = await token({ grant_type: 'refresh_token', refresh_token: current });
      expect(reply.status).toBe(200);
      const next = (reply.body as { refresh_token: string }).refresh_token;
      expect(next).not.toBe(current);
      current = next;
    }
    expect(sim.stats()).toMatchObject({
      tokenRequests: 4,
      tokensIssued: 4,
      refreshTokenReuses: 0,
      familiesRevoked: 0,
    });
  });

  it('two concurrent refreshes with one refresh token: one wins, the reuse revokes the family (the production failure)', async () => {
    const seed = sim.issueRefreshToken(APP.clientId);
    const [a, b] = await Promise.all([
      token({ grant_type: 'refresh_token', refresh_token: seed }),
      token({ grant_type: 'refresh_token', refresh_token: seed }),
    ]);
    const statuses = [a!.status, b!.status].sort();
    expect(statuses).toEqual([200, 400]);
    const winner = (a!.status === 200 ? a : b)!.body as { access_token: string; refresh_token: string };
    const loser = (a!.status === 200 ? b : a)!;
    expect(loser.body).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/already used/),
    });
    expect(sim.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1 });

    // The winner's tokens die with the family: this is what an operator saw in production.
    expect(sim.isAccessTokenValid(winner.access_token)).toBe(false);
    expect(await suiviWith(winner.access_token)).toMatchObject({ status: 401, body: UNAUTHORIZED });
    const next = await token({ grant_type: 'refresh_token', refresh_token: winner.refresh_token });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(sim.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1 });
  });

  it('Suivi takes the OAuth token in the access_token cookie, never as a Bearer (the spec has no Bearer scheme)', async () => {
    const { access_token: accessToken } = await consent();
    expect((await suiviWith(accessToken)).status).toBe(200);
    const bearer = await call(`${sim.url}${LAPOSTE_PATHS.suivi}${ID}`, {
      headers: { authorization: `Bearer ${accessToken}`, ...JSON_ACCEPT },
    });
    expect(bearer).toMatchObject({ status: 401, body: UNAUTHORIZED });
  });

  it('decorateLaposteRequest moves the Bearer into the access_token cookie; key calls are left alone', () => {
    const oauthCall = { authorization: 'Bearer tok.en', accept: 'application/json' } as Record<
      string,
      string
    >;
    decorateLaposteRequest({ method: 'GET', path: '/suivi/v2/idships/1', headers: oauthCall });
    expect(oauthCall).toEqual({ cookie: 'access_token=tok.en', accept: 'application/json' });
    const keyCall = { 'X-Okapi-Key': 'k' } as Record<string, string>;
    decorateLaposteRequest({ method: 'GET', path: '/suivi/v2/idships/1', headers: keyCall });
    expect(keyCall).toEqual({ 'X-Okapi-Key': 'k' });
  });

  it('OAuth tokens (the access_token cookie) are checked on Suivi calls (expired, premature, unknown → 401)', async () => {
    const clock = manualClock();
    const timed = await startLaposteSimulator({
      clients: [APP],
      oauth: true,
      clock,
      faults: { tokenLifetimeSeconds: 60 },
    });
    try {
      const seed = timed.issueRefreshToken(APP.clientId);
      const reply = await call(
        `${timed.url}${LAPOSTE_PATHS.token}`,
        form(
          { grant_type: 'refresh_token', refresh_token: seed },
          { authorization: basicForm(APP.clientId, APP.clientSecret) },
        ),
      );
      const { access_token: accessToken, expires_in: expiresIn } = reply.body as {
        access_token: string;
        expires_in: number;
      };
      expect(expiresIn).toBe(60);
      const get = () =>
        call(`${timed.url}${LAPOSTE_PATHS.suivi}${ID}`, {
          headers: { cookie: `access_token=${accessToken}`, ...JSON_ACCEPT },
        });
      expect((await get()).status).toBe(200);
      clock.advance(60_000);
      expect(await get()).toMatchObject({ status: 401, body: UNAUTHORIZED });
      expect(timed.stats().apiRejections).toBe(1);
    } finally {
      await timed.close();
    }
    expect((await suiviWith('never-issued-token-0000')).status).toBe(401);
  });

  it('applies the kit token faults to /oauth/token: 429 in the Okapi shape, 503, 200 with an error', async () => {
    const seed = sim.issueRefreshToken(APP.clientId);
    await sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 2 }, tokenServerErrors: 1 });
    const throttled = await token({ grant_type: 'refresh_token', refresh_token: seed });
    expect(throttled).toMatchObject({ status: 429, body: { code: 'TOO_MANY_REQUESTS' } });
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await token({ grant_type: 'refresh_token', refresh_token: seed })).toMatchObject({
      status: 503,
      body: { error: 'temporarily_unavailable' },
    });
    await sim.setFaults({ errorInSuccessBody: true });
    expect(await token({ grant_type: 'refresh_token', refresh_token: seed })).toMatchObject({
      status: 200,
      body: { error: 'invalid_client' },
    });
    // None of the faulted answers spent the seed.
    await sim.resetFaults();
    expect((await token({ grant_type: 'refresh_token', refresh_token: seed })).status).toBe(200);
    expect(sim.stats()).toMatchObject({ tokenRequests: 4, refreshTokenReuses: 0 });
  });
});
