/**
 * @module test/carriers/fedex/simulator
 * The FedEx simulator speaks FedEx: credentials in the form body, lower-case "bearer" with an integer
 * expires_in, HS256 JWT access tokens, the transactionId/errors body, and no refresh tokens.
 */
import { describe, expect, it } from 'vitest';

import { FEDEX_DEFAULT_FAULTS, FEDEX_PATHS, startFedexSimulator } from '../../../carriers/fedex/simulator.js';
import { call, clientFields, form, jwtPayload, postJson, simulatorPerTest } from '../../support/sim-http.js';

const CLIENT = { clientId: 'fedex-key', clientSecret: 'fedex-secret' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('FedEx simulator', () => {
  const { sim: fedex, clock } = simulatorPerTest((clock) =>
    startFedexSimulator({ clients: [CLIENT], clock }),
  );

  const tokenRequest = (fields: Record<string, string> = {}) =>
    call(`${fedex.url}${FEDEX_PATHS.token}`, form(clientFields(CLIENT, fields)));
  const accessToken = async () => ((await tokenRequest()).body as { access_token: string }).access_token;
  const track = (token: string, headers: Record<string, string> = {}) =>
    call(
      `${fedex.url}${FEDEX_PATHS.trackByNumber}`,
      postJson(
        { trackingInfo: [{ trackingNumberInfo: { trackingNumber: '794843185271' } }] },
        { authorization: `Bearer ${token}`, ...headers },
      ),
    );

  it('issues {access_token, token_type "bearer", expires_in 3599 (number), scope "CXS-TP"} with a decodable JWT', async () => {
    const reply = await tokenRequest();
    expect(reply.status).toBe(200);
    const body = reply.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 3599, scope: 'CXS-TP' });
    expect(FEDEX_DEFAULT_FAULTS.tokenLifetimeSeconds).toBe(3599);

    const token = body['access_token'] as string;
    expect(token.startsWith('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpX')).toBe(true);
    const claims = jwtPayload(token);
    expect(claims['iat']).toBe(Math.floor(clock() / 1000));
    expect(claims['exp']).toBe((claims['iat'] as number) + 3599);
  });

  it('accepts csp_credentials/client_pc_credentials only with child_Key and child_secret', async () => {
    const child = { child_Key: 'ck', child_secret: 'cs' };
    expect((await tokenRequest({ grant_type: 'csp_credentials', ...child })).status).toBe(200);
    expect((await tokenRequest({ grant_type: 'client_pc_credentials', ...child })).status).toBe(200);
    expect((await tokenRequest({ grant_type: 'csp_credentials' })).status).toBe(400);
    expect((await tokenRequest({ grant_type: 'authorization_code' })).status).toBe(400);
  });

  it('answers 401 NOT.AUTHORIZED.ERROR for bad credentials, also after rotateSecret', async () => {
    const wrong = await tokenRequest({ client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      transactionId: expect.stringMatching(UUID),
      errors: [
        {
          code: 'NOT.AUTHORIZED.ERROR',
          message: 'The given client credentials were not valid. Please modify your request and try again.',
        },
      ],
    });
    fedex.rotateSecret(CLIENT.clientId, 'rotated');
    expect((await tokenRequest()).status).toBe(401);
    expect((await tokenRequest({ client_secret: 'rotated' })).status).toBe(200);
  });

  it('wants a form body, not JSON and not Basic', async () => {
    const jsonBody = await call(`${fedex.url}${FEDEX_PATHS.token}`, postJson(clientFields(CLIENT)));
    expect(jsonBody.status).toBe(400);
    const basicOnly = await call(
      `${fedex.url}${FEDEX_PATHS.token}`,
      form(
        { grant_type: 'client_credentials' },
        {
          authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        },
      ),
    );
    expect(basicOnly.status).toBe(401);
  });

  it('serves tracking and address resolution, echoing x-customer-transaction-id', async () => {
    const token = await accessToken();
    const tracked = await track(token, { 'x-customer-transaction-id': 'order-42' });
    expect(tracked.status).toBe(200);
    expect(tracked.body).toMatchObject({
      transactionId: expect.stringMatching(UUID),
      customerTransactionId: 'order-42',
      output: { completeTrackResults: [{ trackingNumber: '794843185271', trackResults: [{}] }] },
    });

    const resolved = await call(
      `${fedex.url}${FEDEX_PATHS.addressResolve}`,
      postJson(
        {
          addressesToValidate: [
            { address: { streetLines: ['7372 Parkridge Blvd'], city: 'Irving', countryCode: 'US' } },
          ],
        },
        { authorization: `Bearer ${token}` },
      ),
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      output: { resolvedAddresses: [{ city: 'IRVING', countryCode: 'US' }] },
    });
    expect(resolved.body).not.toHaveProperty('customerTransactionId');

    const empty = await call(
      `${fedex.url}${FEDEX_PATHS.trackByNumber}`,
      postJson({}, { authorization: `Bearer ${token}` }),
    );
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ errors: [{ code: 'TRACKING.TRACKINGNUMBER.EMPTY' }] });
  });

  it('rejects an expired token with "Access token expired", echoing the customer transaction id', async () => {
    const token = await accessToken();
    clock.advance(3599 * 1000);
    const reply = await track(token, { 'x-customer-transaction-id': 'order-43' });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({
      transactionId: expect.stringMatching(UUID),
      customerTransactionId: 'order-43',
      errors: [
        {
          code: 'NOT.AUTHORIZED.ERROR',
          message: 'Access token expired. Please modify your request and try again.',
        },
      ],
    });
    expect(fedex.stats()).toMatchObject({ apiRequests: 1, apiRejections: 1 });
  });

  it('fault responses use the FedEx error shape', async () => {
    await fedex.setFaults({ throttle: { count: 1, retryAfterSeconds: 7 } });
    const throttled = await tokenRequest();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body).toMatchObject({
      errors: [
        {
          code: 'TOO.MANY.REQUESTS.ERROR',
          message:
            'We have received too many requests in a short duration. Please wait a while to try again.',
        },
      ],
    });

    await fedex.setFaults({ tokenServerErrors: 2, tokenServerErrorStatus: 500 });
    const internal = await tokenRequest();
    expect(internal.status).toBe(500);
    expect(internal.body).toMatchObject({ errors: [{ code: 'INTERNAL.SERVER.ERROR' }] });
    await fedex.setFaults({ tokenServerErrorStatus: 503 });
    const unavailable = await tokenRequest();
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toMatchObject({ errors: [{ code: 'SERVICE.UNAVAILABLE.ERROR' }] });

    await fedex.setFaults({ errorInSuccessBody: true });
    const lying = await tokenRequest();
    expect(lying.status).toBe(200);
    expect(lying.body).toMatchObject({ errors: [{ code: 'NOT.AUTHORIZED.ERROR' }] });
  });

  it('has no refresh tokens', async () => {
    expect(() => fedex.issueRefreshToken(CLIENT.clientId)).toThrow(/no refresh tokens/);
    const control = await call(`${fedex.url}/__sim/refresh-tokens`, postJson({ clientId: CLIENT.clientId }));
    expect(control.status).toBe(404);
  });
});
