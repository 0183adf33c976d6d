/**
 * @module test/auth/unit/token-response
 * Accepting or refusing a token endpoint's 2xx answer (src/auth/token-response.ts): carrier wire
 * types, malformed fields named without their values, expiry from issued_at, clock skew from the
 * Date header, and error bodies hiding inside a 200.
 */
import { describe, expect, it } from 'vitest';

import type { ResolvedAccount } from '../../../src/core/account.js';
import type { GrantKind } from '../../../src/auth/classify.js';
import { acceptTokenResponse, measureSkew, type ResponseTiming } from '../../../src/auth/token-response.js';
import { isGatewayError, type GatewayError } from '../../../src/core/errors.js';
import {
  FEDEX_NOT_AUTHORIZED,
  fedexAccount,
  fedexTokenBody,
  oauth2Account,
  rfc6749,
  SECRETS,
  UPS_10400_REFRESH,
  UPS_10401,
  upsAccount,
  upsAuthCodeAccount,
  upsTokenBody,
  USPS_SPIKE_ARREST,
  uspsAccount,
} from './fixtures.js';

/** A whole second, so `Date` headers (second resolution) can name it exactly. */
const T = Date.parse('2025-08-20T21:26:36.000Z');
const timing: ResponseTiming = { sentAt: T - 150, receivedAt: T };

const ups = upsAccount();
const fedex = fedexAccount();
const usps = uspsAccount();

function refused(
  account: ResolvedAccount,
  body: unknown,
  { status = 200, grant = 'initial' as GrantKind } = {},
): GatewayError {
  try {
    acceptTokenResponse(account, grant, status, body, timing);
  } catch (error) {
    if (isGatewayError(error)) return error;
    throw error;
  }
  throw new Error('expected the token response to be refused');
}

describe('acceptTokenResponse: carrier wire formats', () => {
  it('accepts the UPS all-string body, expires_in "14399" ([UPS-CC], [KAR-UPS])', () => {
    const { token, skewMs } = acceptTokenResponse(ups, 'initial', 200, upsTokenBody(T), timing);
    expect(token).toEqual({
      accessToken: SECRETS.accessToken,
      tokenType: 'Bearer',
      expiresAt: timing.sentAt + 14_399_000,
      obtainedAt: T,
      scope: '',
    });
    expect(skewMs).toBeUndefined();
  });

  it('keeps the rotated UPS refresh token and its lifetime ([UPS-AC]: refresh_token_expires_in "604799")', () => {
    const body = upsTokenBody(T, {
      refresh_token: 'ups-rotated-refresh-token-1a2b3c',
      refresh_token_expires_in: '604799',
      refresh_token_status: 'approved',
      refresh_token_issued_at: String(T),
    });
    const { token } = acceptTokenResponse(upsAuthCodeAccount(), 'refresh', 200, body, timing);
    expect(token.refreshToken).toBe('ups-rotated-refresh-token-1a2b3c');
    expect(token.refreshTokenExpiresAt).toBe(T + 604_799_000);
  });

  it('accepts FedEx numeric expires_in 3599 with lower-case "bearer" ([FDX-AUTH], [KAR-FDX])', () => {
    const { token } = acceptTokenResponse(fedex, 'initial', 200, fedexTokenBody(), timing);
    expect(token.tokenType).toBe('Bearer');
    expect(token.expiresAt).toBe(timing.sentAt + 3_599_000);
    expect(token.scope).toBe('CXS-TP');
    expect(token.refreshToken).toBeUndefined();
  });

  it('ignores issued_at for a carrier that does not declare its unit (FedEx)', () => {
    const body = fedexTokenBody({ issued_at: T - 10 * 3600_000 });
    expect(acceptTokenResponse(fedex, 'initial', 200, body, timing).token.expiresAt).toBe(
      timing.sentAt + 3_599_000,
    );
  });

  it('accepts the USPS v3 body with numeric fields through the generic adapter ([USPS-I84])', () => {
    const body = {
      access_token: SECRETS.accessToken,
      token_type: 'Bearer',
      issued_at: 1755725196947,
      expires_in: 28799,
      status: 'approved',
      scope: 'addresses tracking',
      issuer: 'https://keyc.usps.com/realms/USPS',
      client_id: 'usps-consumer-key',
    };
    expect(acceptTokenResponse(usps, 'initial', 200, body, timing).token.expiresAt).toBe(
      timing.sentAt + 28_799_000,
    );
  });

  it('accepts a numeric-string expires_in from a generic OAuth 2.0 server ([USPS-README] shows strings)', () => {
    const body = { access_token: SECRETS.accessToken, token_type: 'Bearer', expires_in: '3600' };
    expect(acceptTokenResponse(oauth2Account(), 'initial', 200, body, timing).token.expiresAt).toBe(
      timing.sentAt + 3_600_000,
    );
  });

  it('counts the lifetime from when the request was sent: a slow answer does not extend it', () => {
    const slow = { sentAt: T - 8_000, receivedAt: T };
    const { token } = acceptTokenResponse(fedex, 'initial', 200, fedexTokenBody(), slow);
    expect(token.expiresAt).toBe(T - 8_000 + 3_599_000);
    expect(token.obtainedAt).toBe(T);
  });
});

describe('acceptTokenResponse: malformed bodies', () => {
  const withoutAccessToken = (() => {
    const body: Record<string, unknown> = upsTokenBody(T);
    delete body.access_token;
    return body;
  })();

  it.each<[string, ResolvedAccount, unknown, string]>([
    ['UPS without access_token', ups, withoutAccessToken, 'access_token'],
    ['UPS with an empty access_token', ups, upsTokenBody(T, { access_token: '' }), 'access_token'],
    ['UPS token_type "mac"', ups, upsTokenBody(T, { token_type: 'mac' }), 'token_type'],
    ['UPS expires_in "abc"', ups, upsTokenBody(T, { expires_in: 'abc' }), 'expires_in'],
    ['UPS expires_in "0"', ups, upsTokenBody(T, { expires_in: '0' }), 'expires_in'],
    ['UPS expires_in "-60"', ups, upsTokenBody(T, { expires_in: '-60' }), 'expires_in'],
    ['UPS expires_in in ms by mistake', ups, upsTokenBody(T, { expires_in: '14399000' }), 'expires_in'],
    ['FedEx token_type "mac"', fedex, fedexTokenBody({ token_type: 'mac' }), 'token_type'],
    ['FedEx expires_in "abc"', fedex, fedexTokenBody({ expires_in: 'abc' }), 'expires_in'],
    ['FedEx expires_in 0', fedex, fedexTokenBody({ expires_in: 0 }), 'expires_in'],
    ['FedEx expires_in -1', fedex, fedexTokenBody({ expires_in: -1 }), 'expires_in'],
    ['FedEx expires_in 10 years', fedex, fedexTokenBody({ expires_in: 315_360_000 }), 'expires_in'],
    ['FedEx without expires_in', fedex, fedexTokenBody({ expires_in: undefined }), 'expires_in'],
  ])('%s is ERR_TOKEN_MALFORMED_RESPONSE naming %s, never the token', (_name, account, body, field) => {
    const error = refused(account, body);
    expect(error.code).toBe('ERR_TOKEN_MALFORMED_RESPONSE');
    expect(error.account).toBe(account.id);
    expect(error.detail).toContain(field);
    for (const text of [error.message, error.detail ?? '', JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toContain(SECRETS.accessToken);
    }
    // The body stays reachable for debugging, but not through serialisation.
    expect(error.upstreamBody).toBe(body);
  });

  it.each([
    ['an array', [upsTokenBody(T)]],
    ['a string', 'access_token=x'],
    ['null', null],
  ])('refuses %s as body', (_name, body) => {
    expect(refused(ups, body)).toMatchObject({
      code: 'ERR_TOKEN_MALFORMED_RESPONSE',
      detail: 'body is not a JSON object',
    });
  });
});

describe('acceptTokenResponse: expiry from issued_at and the Date header', () => {
  it('an issued_at (ms) three hours old shortens the 4-hour token to what is left', () => {
    const issuedAt = T - 3 * 3600_000;
    const { token } = acceptTokenResponse(ups, 'initial', 200, upsTokenBody(issuedAt), timing);
    expect(token.expiresAt).toBe(issuedAt + 14_399_000);
    expect(token.expiresAt).toBeLessThan(timing.sentAt + 14_399_000);
  });

  it('a token already expired by its issued_at is refused', () => {
    const error = refused(ups, upsTokenBody(T - 5 * 3600_000));
    expect(error.code).toBe('ERR_TOKEN_MALFORMED_RESPONSE');
    expect(error.detail).toContain('issued_at');
  });

  it('a Date header 5 minutes ahead gives skewMs 300000 and moves issued_at onto our clock', () => {
    const carrierNow = T + 300_000;
    const issuedAt = carrierNow - 100_000; // issued 100 s ago, on the carrier's clock
    const result = acceptTokenResponse(ups, 'initial', 200, upsTokenBody(issuedAt), {
      sentAt: T - 200,
      receivedAt: T,
      dateHeader: new Date(carrierNow).toUTCString(),
    });
    expect(result.skewMs).toBe(300_000);
    // Uncorrected, issued_at would look 200 s in our future and not shorten anything.
    expect(result.token.expiresAt).toBe(T - 100_000 + 14_399_000);
  });

  it('a Date header 5 minutes behind does not cut 5 minutes off a fresh token', () => {
    const carrierNow = T - 300_000;
    const result = acceptTokenResponse(ups, 'initial', 200, upsTokenBody(carrierNow), {
      sentAt: T,
      receivedAt: T,
      dateHeader: new Date(carrierNow).toUTCString(),
    });
    // The header could have been written up to 999 ms after its whole second.
    expect(result.skewMs).toBeGreaterThanOrEqual(-300_000);
    expect(result.skewMs).toBeLessThan(-299_000);
    // Uncorrected, issued_at would end the token 5 minutes early; corrected, under a second.
    expect(result.token.expiresAt).toBeGreaterThan(T + 14_399_000 - 1_000);
    expect(result.token.expiresAt).toBeLessThanOrEqual(T + 14_399_000);
  });
});

describe('measureSkew', () => {
  it('is 0 within the one-second resolution of the Date header', () => {
    expect(measureSkew({ sentAt: T, receivedAt: T + 400, dateHeader: new Date(T).toUTCString() })).toBe(0);
  });

  it('is undefined without a Date header or with an unparseable one', () => {
    expect(measureSkew({ sentAt: T, receivedAt: T })).toBeUndefined();
    expect(measureSkew({ sentAt: T, receivedAt: T, dateHeader: 'yesterday-ish' })).toBeUndefined();
  });

  it('counts only the gap beyond the exchange as skew (the smallest skew consistent with it)', () => {
    const ahead = new Date(T + 60_000).toUTCString();
    expect(measureSkew({ sentAt: T - 2_000, receivedAt: T + 2_000, dateHeader: ahead })).toBe(58_000);
    // Behind: the header second [T-60 s, T-59.001 s] ends 57.001 s before we sent.
    const behind = new Date(T - 60_000).toUTCString();
    expect(measureSkew({ sentAt: T - 2_000, receivedAt: T + 2_000, dateHeader: behind })).toBe(-57_001);
  });

  it('is within a second of the true skew when the exchange is fast', () => {
    const dateHeader = new Date(T + 300_000).toUTCString();
    const skew = measureSkew({ sentAt: T - 50, receivedAt: T + 50, dateHeader })!;
    expect(Math.abs(skew - 300_000)).toBeLessThan(1_000);
  });
});

describe('acceptTokenResponse: an error inside a 200', () => {
  it.each<[string, ResolvedAccount, GrantKind, unknown, string]>([
    ['UPS 10401 ([KAR-I503])', ups, 'initial', UPS_10401, '10401'],
    ['UPS 10400 on refresh ([TECHSHIP])', upsAuthCodeAccount(), 'refresh', UPS_10400_REFRESH, '10400'],
    [
      'FedEx NOT.AUTHORIZED.ERROR ([FDX-AUTH])',
      fedex,
      'initial',
      FEDEX_NOT_AUTHORIZED,
      'NOT.AUTHORIZED.ERROR',
    ],
    ['RFC 6749 invalid_grant', oauth2Account(), 'refresh', rfc6749('invalid_grant'), 'invalid_grant'],
    ['USPS SpikeArrestViolation ([USPS-OAUTH])', usps, 'initial', USPS_SPIKE_ARREST, 'invalid_request'],
  ])(
    '%s is ERR_TOKEN_ERROR_IN_SUCCESS_BODY keeping the carrier code',
    (_name, account, grant, body, code) => {
      expect(refused(account, body, { grant })).toMatchObject({
        code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
        carrierCode: code,
        upstreamStatus: 200,
      });
    },
  );

  it('a token body that also carries an `error` field is not a token', () => {
    const body = { ...fedexTokenBody(), error: 'invalid_client' };
    expect(refused(fedex, body).code).toBe('ERR_TOKEN_ERROR_IN_SUCCESS_BODY');
  });

  it('error fields in a shape the carrier does not use still refuse the body', () => {
    const error = refused(oauth2Account(), { errors: [{ detail: 'no code here' }] });
    expect(error.code).toBe('ERR_TOKEN_ERROR_IN_SUCCESS_BODY');
    expect(error.carrierCode).toBeUndefined();
  });
});
