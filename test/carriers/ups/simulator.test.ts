/**
 * @module test/carriers/ups/simulator
 * The UPS simulator speaks UPS: string-typed token fields, UPS error bodies, Basic client auth,
 * the separate /refresh endpoint with single-use rotating refresh tokens, and the protected APIs.
 */
import { describe, expect, it } from 'vitest';

import {
  UPS_DEFAULT_FAULTS,
  UPS_PATHS,
  startUpsSimulator,
  upsExampleShipmentRequest,
} from '../../../carriers/ups/simulator.js';
import { basic, call, form, postJson, simulatorPerTest } from '../../support/sim-http.js';

const CLIENT = { clientId: 'ups-client', clientSecret: 'ups-secret' };
const upsErrors = (code: string, message: string) => ({ response: { errors: [{ code, message }] } });

describe('UPS simulator', () => {
  const { sim: ups, clock } = simulatorPerTest((clock) => startUpsSimulator({ clients: [CLIENT], clock }));

  const tokenRequest = (
    secret = CLIENT.clientSecret,
    fields: Record<string, string> = { grant_type: 'client_credentials' },
  ) => call(`${ups.url}${UPS_PATHS.token}`, form(fields, { authorization: basic(CLIENT.clientId, secret) }));
  const refreshRequest = (refreshToken: string) =>
    call(
      `${ups.url}${UPS_PATHS.refresh}`,
      form(
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      ),
    );
  const xav = (token: string) =>
    call(
      `${ups.url}${UPS_PATHS.addressValidation}`,
      postJson(
        { XAVRequest: { AddressKeyFormat: { AddressLine: ['1 Main St'], CountryCode: 'US' } } },
        { authorization: `Bearer ${token}` },
      ),
    );
  const accessToken = async () =>
    ((await tokenRequest()).body as Record<string, string>)['access_token'] ?? '';

  it('issues a client-credentials token whose fields are all strings, expires_in "14399"', async () => {
    const before = clock();
    const reply = await tokenRequest();
    expect(reply.status).toBe(200);
    const body = reply.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'client_id',
        'expires_in',
        'issued_at',
        'refresh_count',
        'scope',
        'status',
        'token_type',
      ].sort(),
    );
    for (const value of Object.values(body)) expect(typeof value).toBe('string');
    expect(body).toMatchObject({
      token_type: 'Bearer',
      client_id: CLIENT.clientId,
      scope: '',
      expires_in: '14399',
      refresh_count: '0',
      status: 'approved',
      issued_at: String(before),
    });
    expect(UPS_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(14399);
    expect(ups.isAccessTokenValid(body['access_token'] as string)).toBe(true);
    expect(ups.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 1 });
  });

  it('answers 401 10401 for a wrong secret and 400 10400 without a Basic header', async () => {
    const wrong = await tokenRequest('nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(upsErrors('10401', 'ClientId is Invalid'));

    const missing = await call(`${ups.url}${UPS_PATHS.token}`, form({ grant_type: 'client_credentials' }));
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(upsErrors('10400', 'Invalid/Missing Authorization Header'));

    const badGrant = await tokenRequest(CLIENT.clientSecret, { grant_type: 'password' });
    expect(badGrant.status).toBe(400);
    expect(badGrant.body).toMatchObject({ response: { errors: [{ code: '10400' }] } });
  });

  it('refuses the old secret after rotateSecret and accepts the new one', async () => {
    ups.rotateSecret(CLIENT.clientId, 'rotated');
    const old = await tokenRequest();
    expect(old.status).toBe(401);
    expect(old.body).toEqual(upsErrors('10401', 'ClientId is Invalid'));
    expect((await tokenRequest('rotated')).status).toBe(200);
  });

  it('serves the protected APIs with a valid Bearer token', async () => {
    const token = await accessToken();
    const address = await xav(token);
    expect(address.status).toBe(200);
    expect(address.body).toMatchObject({
      XAVResponse: { Response: { ResponseStatus: { Code: '1' } }, Candidate: [{ AddressKeyFormat: {} }] },
    });

    const track = await call(`${ups.url}${UPS_PATHS.trackDetails}1Z999AA10123456784`, {
      headers: { authorization: `Bearer ${token}`, transId: 'abc123', transactionSrc: 'testing' },
    });
    expect(track.status).toBe(200);
    expect(track.body).toMatchObject({
      trackResponse: { shipment: [{ inquiryNumber: '1Z999AA10123456784', package: [{}] }] },
    });

    const ship = await call(
      `${ups.url}${UPS_PATHS.ship}`,
      postJson(upsExampleShipmentRequest(), { authorization: `Bearer ${token}` }),
    );
    expect(ship.status).toBe(200);
    const results = (ship.body as { ShipmentResponse: { ShipmentResults: Record<string, unknown> } })
      .ShipmentResponse.ShipmentResults;
    const pkg = (
      results['PackageResults'] as { TrackingNumber: string; ShippingLabel: { GraphicImage: string } }[]
    )[0];
    expect(pkg?.TrackingNumber).toMatch(/^1Z[0-9A-Z]{16}$/);
    expect(
      Buffer.from(pkg?.ShippingLabel.GraphicImage ?? '', 'base64')
        .subarray(0, 3)
        .toString(),
    ).toBe('GIF');
  });

  it('requires transId and transactionSrc on tracking (400 in the UPS error shape)', async () => {
    const token = await accessToken();
    const reply = await call(`${ups.url}${UPS_PATHS.trackDetails}1Z999AA10123456784`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ response: { errors: [{ code: expect.any(String) }] } });
  });

  it('rejects unknown and expired tokens with 401 250002, and 404s unknown API paths', async () => {
    const unknown = await xav('not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(upsErrors('250002', 'Invalid Authentication Information.'));

    const token = await accessToken();
    expect(
      (await call(`${ups.url}/api/nothing/here`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(404);
    clock.advance(14399 * 1000);
    expect((await xav(token)).status).toBe(401);
    expect(ups.stats()).toMatchObject({ apiRequests: 3, apiRejections: 2 });
  });

  it('answers 250003 when a business API is called without the /api prefix', async () => {
    const token = await accessToken();
    const reply = await call(
      `${ups.url}/addressvalidation/v2/1`,
      postJson({}, { authorization: `Bearer ${token}` }),
    );
    expect(reply.body).toEqual(upsErrors('250003', 'Invalid Access License number'));
  });

  it('rotates refresh tokens on /refresh and revokes the whole family when one is reused', async () => {
    const seed = ups.issueRefreshToken(CLIENT.clientId);
    const first = await refreshRequest(seed);
    expect(first.status).toBe(200);
    const firstBody = first.body as Record<string, string>;
    for (const value of Object.values(firstBody)) expect(typeof value).toBe('string');
    expect(firstBody).toMatchObject({
      refresh_token_expires_in: '604799',
      refresh_token_status: 'approved',
      refresh_count: '1',
      expires_in: '14399',
    });
    expect(firstBody['refresh_token']).not.toBe(seed);
    expect(firstBody['refresh_token_issued_at']).toBe(firstBody['issued_at']);

    const second = (await refreshRequest(firstBody['refresh_token'] ?? '')).body as Record<string, string>;
    expect(second['refresh_count']).toBe('2');
    expect(ups.isAccessTokenValid(second['access_token'] ?? '')).toBe(true);

    const replay = await refreshRequest(seed);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual(upsErrors('10400', 'Invalid Refresh Token'));
    // Everything descended from the consent is gone, including the newest pair.
    expect(ups.isAccessTokenValid(firstBody['access_token'] ?? '')).toBe(false);
    expect(ups.isAccessTokenValid(second['access_token'] ?? '')).toBe(false);
    expect((await refreshRequest(second['refresh_token'] ?? '')).status).toBe(400);
    expect((await xav(second['access_token'] ?? '')).status).toBe(401);
    expect(ups.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1, tokenRequests: 4 });
    // Client-credentials tokens belong to no family and survive.
    expect((await xav(await accessToken())).status).toBe(200);
  });

  it('two workers refreshing with the same token at once: one wins, the loser revokes everything', async () => {
    const seed = ups.issueRefreshToken(CLIENT.clientId);
    const replies = await Promise.all([refreshRequest(seed), refreshRequest(seed)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = replies.find((r) => r.status === 200)?.body as Record<string, string>;
    expect(ups.isAccessTokenValid(winner['access_token'] ?? '')).toBe(false);
    expect(ups.stats()).toMatchObject({ refreshTokenReuses: 1, familiesRevoked: 1 });
  });

  it('runs the authorization-code flow: /authorize redirects with a code, /token exchanges it once', async () => {
    const redirectUri = 'https://app.example/callback';
    const authorize = await call(
      `${ups.url}${UPS_PATHS.authorize}?${new URLSearchParams({
        client_id: CLIENT.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        state: 'xyz',
      })}`,
    );
    expect(authorize.status).toBe(302);
    const location = new URL(authorize.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code') ?? '';

    const exchange = () =>
      tokenRequest(CLIENT.clientSecret, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ refresh_token: expect.any(String), refresh_count: '0' });
    expect((await exchange()).status).toBe(400);

    const seeded = ups.issueAuthorizationCode(CLIENT.clientId, redirectUri);
    const mismatch = await tokenRequest(CLIENT.clientSecret, {
      grant_type: 'authorization_code',
      code: seeded,
      redirect_uri: 'https://evil.example/',
    });
    expect(mismatch.body).toEqual(upsErrors('10401', 'ClientId is Invalid'));
  });

  it('fault responses use the UPS error shape', async () => {
    await ups.setFaults({ throttle: { count: 1 }, tokenServerErrors: 1 });
    const throttled = await tokenRequest();
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual(upsErrors('10429', 'Too Many Requests'));
    expect(throttled.headers.get('retry-after')).toBeNull();

    const serverError = await tokenRequest();
    expect(serverError.status).toBe(503);
    expect(serverError.body).toMatchObject({ response: { errors: [{ code: expect.any(String) }] } });

    await ups.setFaults({ errorInSuccessBody: true });
    const lying = await tokenRequest();
    expect(lying.status).toBe(200);
    expect(lying.body).toEqual(upsErrors('10401', 'ClientId is Invalid'));
    expect(ups.stats().tokensIssued).toBe(0);
  });
});
