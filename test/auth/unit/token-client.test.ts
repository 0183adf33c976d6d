/**
 * @module test/auth/unit/token-client
 * One exchange with a token endpoint (src/auth/token-client.ts `exchangeToken`) over an undici
 * MockAgent: the request on the wire, the Retry-After and Date headers reaching the classifier and
 * the acceptor, non-JSON bodies, and the "maybe delivered" mark on transport failures.
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { exchangeToken, isMaybeDelivered } from '../../../src/auth/token-client.js';
import { isGatewayError, type GatewayError } from '../../../src/core/errors.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  FEDEX_NOT_AUTHORIZED,
  fedexTokenBody,
  SECRETS,
  UPS_10400_REFRESH,
  UPS_10429,
  upsAccount,
  upsAuthCodeAccount,
  upsTokenBody,
  USPS_SPIKE_ARREST,
  uspsAccount,
  fedexAccount,
  oauth2Account,
} from './fixtures.js';

const T = Date.parse('2025-08-20T21:26:36.000Z');
const now = () => T;
const UPS_HOST = 'https://wwwcie.ups.com';

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

async function failed(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('expected the exchange to fail');
}

describe('exchangeToken', () => {
  it('sends the UPS request and accepts the UPS answer ([UPS-CC], [KAR-UPS])', async () => {
    let seen: { headers: unknown; body: unknown } | undefined;
    agent
      .get(UPS_HOST)
      .intercept({ path: '/security/v1/oauth/token', method: 'POST' })
      .reply(200, (options) => {
        seen = { headers: options.headers, body: options.body };
        return upsTokenBody(T);
      });
    const accepted = await exchangeToken(upsAccount(), { kind: 'initial' }, { dispatcher: agent, now });
    expect(accepted.token.accessToken).toBe(SECRETS.accessToken);
    expect(accepted.token.expiresAt).toBe(T + 14_399_000);
    expect(seen?.body).toBe('grant_type=client_credentials');
    expect(JSON.stringify(seen?.headers)).toContain('Basic ');
  });

  it('passes the Date header on, so skew is measured ([UPS-AC] issued_at in ms)', async () => {
    agent
      .get(UPS_HOST)
      .intercept({ path: '/security/v1/oauth/token', method: 'POST' })
      .reply(200, upsTokenBody(T + 300_000), { headers: { date: new Date(T + 300_000).toUTCString() } });
    const accepted = await exchangeToken(upsAccount(), { kind: 'initial' }, { dispatcher: agent, now });
    expect(accepted.skewMs).toBe(300_000);
  });

  it('UPS 429 10429 is throttling ([UPS-I8])', async () => {
    agent.get(UPS_HOST).intercept({ path: '/security/v1/oauth/token', method: 'POST' }).reply(429, UPS_10429);
    const error = await failed(exchangeToken(upsAccount(), { kind: 'initial' }, { dispatcher: agent, now }));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED', carrierCode: '10429' });
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('USPS 429 with Retry-After: 30 carries retryAfterMs 30000 ([USPS-OAUTH] 5.5)', async () => {
    agent
      .get('https://apis-tem.usps.com')
      .intercept({ path: '/oauth2/v3/token', method: 'POST' })
      .reply(429, USPS_SPIKE_ARREST, { headers: { 'retry-after': '30' } });
    const error = await failed(exchangeToken(uspsAccount(), { kind: 'initial' }, { dispatcher: agent, now }));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED', retryAfterMs: 30_000 });
  });

  it('UPS 10400 at the refresh endpoint is a rejected grant ([TECHSHIP])', async () => {
    agent
      .get(UPS_HOST)
      .intercept({ path: '/security/v1/oauth/refresh', method: 'POST' })
      .reply(400, UPS_10400_REFRESH);
    const error = await failed(
      exchangeToken(
        upsAuthCodeAccount(),
        { kind: 'refresh', refreshToken: SECRETS.upsRefreshToken },
        { dispatcher: agent, now },
      ),
    );
    expect(error).toMatchObject({ code: 'ERR_TOKEN_INVALID_GRANT', carrierCode: '10400' });
  });

  /** One FedEx token answer at a time, and the error the exchange makes of it. */
  const fedexAnswerFails = async (status: number, body: string | object, headers = {}) => {
    agent
      .get('https://apis-sandbox.fedex.com')
      .intercept({ path: '/oauth/token', method: 'POST' })
      .reply(status, body, { headers });
    return failed(exchangeToken(fedexAccount(), { kind: 'initial' }, { dispatcher: agent, now }));
  };

  it('FedEx 401 NOT.AUTHORIZED.ERROR is invalid client ([FDX-AUTH])', async () => {
    expect((await fedexAnswerFails(401, FEDEX_NOT_AUTHORIZED)).code).toBe('ERR_TOKEN_INVALID_CLIENT');
  });

  it('a 503 HTML page is a server error', async () => {
    const error = await fedexAnswerFails(503, '<html><body>Service Unavailable</body></html>', {
      'content-type': 'text/html',
    });
    expect(error.code).toBe('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
  });

  it('a 200 that is not JSON is a malformed response', async () => {
    expect(await fedexAnswerFails(200, '<html>maintenance</html>')).toMatchObject({
      code: 'ERR_TOKEN_MALFORMED_RESPONSE',
      detail: 'body is not JSON',
    });
  });

  it('a 200 carrying an error body is an error in a success body', async () => {
    expect(await fedexAnswerFails(200, FEDEX_NOT_AUTHORIZED)).toMatchObject({
      code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
      carrierCode: 'NOT.AUTHORIZED.ERROR',
    });
  });

  it('ECONNREFUSED: unreachable and marked as not delivered', async () => {
    agent
      .get('https://apis-sandbox.fedex.com')
      .intercept({ path: '/oauth/token', method: 'POST' })
      .replyWithError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
      );
    const error = await failed(
      exchangeToken(fedexAccount(), { kind: 'initial' }, { dispatcher: agent, now }),
    );
    expect(error.code).toBe('ERR_TOKEN_ENDPOINT_UNREACHABLE');
    expect(isMaybeDelivered(error)).toBe(false);
    expect(Object.keys(error)).not.toContain('maybeDelivered');
  });

  it('ECONNRESET on a refresh: marked as maybe delivered', async () => {
    agent
      .get(UPS_HOST)
      .intercept({ path: '/security/v1/oauth/refresh', method: 'POST' })
      .replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const error = await failed(
      exchangeToken(
        upsAuthCodeAccount(),
        { kind: 'refresh', refreshToken: SECRETS.upsRefreshToken },
        { dispatcher: agent, now },
      ),
    );
    expect(error.code).toBe('ERR_TOKEN_ENDPOINT_UNREACHABLE');
    expect(isMaybeDelivered(error)).toBe(true);
  });

  it('no answer within timeouts.tokenMs: ERR_TOKEN_ENDPOINT_TIMEOUT, maybe delivered', async () => {
    const account = fedexAccount({ timeouts: { tokenMs: 100 } });
    agent
      .get('https://apis-sandbox.fedex.com')
      .intercept({ path: '/oauth/token', method: 'POST' })
      .reply(200, fedexTokenBody())
      .delay(1_000);
    const error = await failed(exchangeToken(account, { kind: 'initial' }, { dispatcher: agent, now }));
    expect(error.code).toBe('ERR_TOKEN_ENDPOINT_TIMEOUT');
    expect(isMaybeDelivered(error)).toBe(true);
  });

  it('a JWT access token ends no later than its exp', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const exp = T / 1000 + 600;
    const jwt = await new SignJWT({ exp }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    registerSecrets(jwt);
    const account = oauth2Account({}, { token: { publicKey: await exportSPKI(publicKey) } });
    agent
      .get('https://auth.example.test')
      .intercept({ path: '/oauth/token', method: 'POST' })
      .reply(200, { access_token: jwt, token_type: 'Bearer', expires_in: 3600 });
    const accepted = await exchangeToken(account, { kind: 'initial' }, { dispatcher: agent, now });
    expect(accepted.token.expiresAt).toBe(exp * 1000);
  });
});
