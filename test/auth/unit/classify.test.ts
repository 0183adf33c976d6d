/**
 * @module test/auth/unit/classify
 * Reading carrier error bodies (src/auth/error-bodies.ts) and turning token-endpoint outcomes into
 * typed gateway errors (src/auth/classify.ts): HTTP failures per carrier, errors inside a 200,
 * Retry-After, and failures below HTTP with their "may have been delivered" flag.
 */
import { describe, expect, it } from 'vitest';

import type { TokenProfile } from '../../../src/core/account.js';
import {
  classifyHttpFailure,
  classifyTransportFailure,
  impliedClass,
  parseRetryAfter,
  RETRYABLE_TOKEN_CODES,
  type GrantKind,
} from '../../../src/auth/classify.js';
import { readCarrierError } from '../../../src/auth/error-bodies.js';
import type { GatewayErrorCode } from '../../../src/core/errors.js';
import {
  FEDEX_FORBIDDEN,
  FEDEX_INTERNAL,
  FEDEX_NOT_AUTHORIZED,
  FEDEX_SERVICE_UNAVAILABLE,
  fedexAccount,
  oauth2Account,
  rfc6749,
  UPS_10400_HEADER,
  UPS_10400_REFRESH,
  UPS_10401,
  UPS_10429,
  upsAccount,
  upsAuthCodeAccount,
  USPS_INVALID_CLIENT,
  USPS_SPIKE_ARREST,
  uspsAccount,
} from './fixtures.js';

const ups = upsAccount().token;
const upsAuthCode = upsAuthCodeAccount().token;
const fedex = fedexAccount().token;
const oauth2 = oauth2Account().token;
const usps = uspsAccount().token;

function classify(
  profile: TokenProfile,
  grant: GrantKind,
  status: number,
  body: unknown,
  retryAfterMs?: number,
) {
  return classifyHttpFailure('acct-1', profile, grant, {
    status,
    body,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

describe('readCarrierError', () => {
  it('reads the UPS {"response":{"errors":[...]}} shape ([UPS-CC])', () => {
    expect(readCarrierError('ups-response-errors', UPS_10401)).toEqual({
      code: '10401',
      message: 'ClientId is Invalid',
    });
  });

  it('reads the FedEx {"errors":[...]} shape and takes the first error ([FDX-AUTH])', () => {
    const body = {
      ...FEDEX_NOT_AUTHORIZED,
      errors: [...FEDEX_NOT_AUTHORIZED.errors, FEDEX_INTERNAL.errors[0]],
    };
    expect(readCarrierError('errors-array', body)?.code).toBe('NOT.AUTHORIZED.ERROR');
  });

  it('reads RFC 6749 bodies, keeping error_description as the message ([USPS-OAUTH])', () => {
    expect(readCarrierError('rfc6749', USPS_INVALID_CLIENT)).toEqual({
      code: 'invalid_client',
      message: USPS_INVALID_CLIENT.error_description,
    });
  });

  it('falls back to the RFC 6749 shape for a carrier with its own shape', () => {
    expect(readCarrierError('ups-response-errors', rfc6749('invalid_client'))?.code).toBe('invalid_client');
    expect(readCarrierError('errors-array', rfc6749('invalid_grant'))?.code).toBe('invalid_grant');
  });

  it('stringifies numeric codes', () => {
    expect(readCarrierError('ups-response-errors', { response: { errors: [{ code: 10401 }] } })).toEqual({
      code: '10401',
    });
  });

  it.each([
    ['a token body', { access_token: 'x', token_type: 'Bearer' }],
    ['an empty errors array', { response: { errors: [] } }],
    ['an HTML page', '<html><body>502 Bad Gateway</body></html>'],
    ['nothing', undefined],
    ['null', null],
    ['an error without a code', { errors: [{ message: 'no code' }] }],
  ])('returns null for %s', (_name, body) => {
    expect(readCarrierError('ups-response-errors', body)).toBeNull();
    expect(readCarrierError('errors-array', body)).toBeNull();
  });

  it('does not read a FedEx-shaped body as RFC 6749 for the generic adapter', () => {
    expect(readCarrierError('rfc6749', FEDEX_NOT_AUTHORIZED)).toBeNull();
  });
});

describe('classifyHttpFailure: carrier bodies', () => {
  it('UPS 401 10401 is invalid client, keeping the carrier code and status ([KAR-I503])', () => {
    const error = classify(ups, 'initial', 401, UPS_10401);
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: '10401',
      upstreamStatus: 401,
      account: 'acct-1',
    });
    expect(error.detail).toContain('10401');
  });

  it('UPS 10400 is a rejected grant on the refresh endpoint ([TECHSHIP])', () => {
    const error = classify(upsAuthCode, 'refresh', 400, UPS_10400_REFRESH);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_INVALID_GRANT', carrierCode: '10400' });
    expect(impliedClass(upsAuthCode, 'refresh', error)).toBe('invalid_grant');
  });

  it('UPS 10400 on the initial grant is a rejected request, not a rejected grant ([UPS-SDK])', () => {
    const error = classify(ups, 'initial', 400, UPS_10400_HEADER);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_REQUEST_REJECTED', carrierCode: '10400' });
    expect(impliedClass(ups, 'initial', error)).toBe('invalid_request');
  });

  it('UPS 429 10429 is throttling ([UPS-I8], [UPS-I123])', () => {
    expect(classify(ups, 'initial', 429, UPS_10429)).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_THROTTLED',
      carrierCode: '10429',
      upstreamStatus: 429,
    });
  });

  it('FedEx 401 NOT.AUTHORIZED.ERROR is invalid client ([FDX-AUTH])', () => {
    expect(classify(fedex, 'initial', 401, FEDEX_NOT_AUTHORIZED)).toMatchObject({
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: 'NOT.AUTHORIZED.ERROR',
    });
  });

  it.each([
    [503, FEDEX_SERVICE_UNAVAILABLE, 'SERVICE.UNAVAILABLE.ERROR'],
    [500, FEDEX_INTERNAL, 'INTERNAL.SERVER.ERROR'],
  ])('FedEx %i %j is a server error ([FDX-AUTH])', (status, body, carrierCode) => {
    expect(classify(fedex, 'initial', status, body)).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
      carrierCode,
      upstreamStatus: status,
    });
  });

  it('FedEx 403 FORBIDDEN.ERROR is an unauthorized client ([FDX-TRK])', () => {
    expect(classify(fedex, 'initial', 403, FEDEX_FORBIDDEN).code).toBe('ERR_TOKEN_UNAUTHORIZED_CLIENT');
  });

  it.each<[string, number, GatewayErrorCode]>([
    ['invalid_grant', 400, 'ERR_TOKEN_INVALID_GRANT'],
    ['invalid_scope', 400, 'ERR_TOKEN_INVALID_SCOPE'],
    ['unauthorized_client', 400, 'ERR_TOKEN_UNAUTHORIZED_CLIENT'],
    ['unsupported_grant_type', 400, 'ERR_TOKEN_UNAUTHORIZED_CLIENT'],
    ['invalid_client', 401, 'ERR_TOKEN_INVALID_CLIENT'],
    ['invalid_request', 400, 'ERR_TOKEN_REQUEST_REJECTED'],
  ])('RFC 6749 5.2 %s (HTTP %i) maps to %s', (error, status, code) => {
    expect(classify(oauth2, 'initial', status, rfc6749(error))).toMatchObject({ code, carrierCode: error });
  });

  it('USPS 401 invalid_client is invalid client ([USPS-OAUTH])', () => {
    expect(classify(usps, 'initial', 401, USPS_INVALID_CLIENT).code).toBe('ERR_TOKEN_INVALID_CLIENT');
  });

  it('USPS 429 SpikeArrestViolation is throttling: the status wins over "invalid_request" ([USPS-OAUTH])', () => {
    const error = classify(usps, 'initial', 429, USPS_SPIKE_ARREST, 30_000);
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_THROTTLED',
      carrierCode: 'invalid_request',
      upstreamStatus: 429,
      retryAfterMs: 30_000,
    });
    expect(RETRYABLE_TOKEN_CODES.has(error.code)).toBe(true);
  });

  it('a 5xx wins over a credential error in its body', () => {
    expect(classify(ups, 'initial', 502, UPS_10401).code).toBe('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
  });

  it.each([
    [502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'],
    [503, undefined],
    [504, '<!DOCTYPE html><html><body>Gateway Timeout</body></html>'],
  ])('a %i with an HTML or empty body is a server error without a carrier code', (status, body) => {
    const error = classify(ups, 'initial', status, body);
    expect(error.code).toBe('ERR_TOKEN_ENDPOINT_SERVER_ERROR');
    expect(error.carrierCode).toBeUndefined();
    expect(error.detail).toBe(`HTTP ${status} without a recognised error body`);
  });

  it.each<[number, GatewayErrorCode]>([
    [400, 'ERR_TOKEN_REQUEST_REJECTED'],
    [401, 'ERR_TOKEN_INVALID_CLIENT'],
    [403, 'ERR_TOKEN_UNAUTHORIZED_CLIENT'],
    [404, 'ERR_TOKEN_REQUEST_REJECTED'],
    [429, 'ERR_TOKEN_ENDPOINT_THROTTLED'],
  ])('an unknown carrier code at HTTP %i falls back to the status (%s)', (status, code) => {
    const error = classify(ups, 'initial', status, {
      response: { errors: [{ code: '99999', message: '?' }] },
    });
    expect(error).toMatchObject({ code, carrierCode: '99999' });
  });

  it('a redirect is not a token and not a known failure: malformed response', () => {
    expect(classify(ups, 'initial', 302, undefined).code).toBe('ERR_TOKEN_MALFORMED_RESPONSE');
  });

  it('keeps the upstream body out of JSON serialisation but available for debugging', () => {
    const error = classify(ups, 'initial', 401, UPS_10401);
    expect(error.upstreamBody).toEqual(UPS_10401);
    expect(Object.keys(error)).not.toContain('upstreamBody');
    expect(JSON.stringify(error)).not.toContain('ClientId is Invalid');
  });
});

describe('classifyHttpFailure: an error inside a 200', () => {
  it.each<[string, TokenProfile, GrantKind, unknown, string]>([
    ['UPS 10401', ups, 'initial', UPS_10401, '10401'],
    ['UPS 10400 on refresh', upsAuthCode, 'refresh', UPS_10400_REFRESH, '10400'],
    ['UPS 10429', ups, 'initial', UPS_10429, '10429'],
    ['FedEx NOT.AUTHORIZED.ERROR', fedex, 'initial', FEDEX_NOT_AUTHORIZED, 'NOT.AUTHORIZED.ERROR'],
    [
      'FedEx SERVICE.UNAVAILABLE.ERROR',
      fedex,
      'initial',
      FEDEX_SERVICE_UNAVAILABLE,
      'SERVICE.UNAVAILABLE.ERROR',
    ],
    ['RFC 6749 invalid_grant', oauth2, 'refresh', rfc6749('invalid_grant'), 'invalid_grant'],
    ['USPS SpikeArrestViolation', usps, 'initial', USPS_SPIKE_ARREST, 'invalid_request'],
  ])(
    '%s is ERR_TOKEN_ERROR_IN_SUCCESS_BODY keeping the carrier code',
    (_name, profile, grant, body, carrierCode) => {
      const error = classify(profile, grant, 200, body);
      expect(error).toMatchObject({
        code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
        carrierCode,
        upstreamStatus: 200,
      });
      expect(error.detail).toContain(carrierCode);
    },
  );

  it('says which class the carrier code implies, so a refresh rejected inside a 200 stops retries', () => {
    const error = classify(upsAuthCode, 'refresh', 200, UPS_10400_REFRESH);
    expect(error.detail).toContain('(invalid_grant)');
    expect(impliedClass(upsAuthCode, 'refresh', error)).toBe('invalid_grant');
  });

  it('a 200 with no recognisable error is a malformed response', () => {
    expect(classify(ups, 'initial', 200, { hello: 'world' }).code).toBe('ERR_TOKEN_MALFORMED_RESPONSE');
  });
});

describe('parseRetryAfter (RFC 9110 10.2.3)', () => {
  const now = Date.parse('2025-08-20T21:26:36Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Wed, 20 Aug 2025 21:28:06 GMT', now)).toBe(90_000);
  });

  it('never returns a negative wait for an HTTP-date in the past', () => {
    expect(parseRetryAfter('Wed, 20 Aug 2025 21:00:00 GMT', now)).toBe(0);
  });

  it.each(['', '   ', 'soon', 'abc', 'later please', '12 seconds'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('ignores an absent header', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  // Regression: anything V8's lenient Date.parse accepts is taken as a date in the past,
  // so a fractional or negative value becomes "retry now" and skips the backoff.
  it.each(['1.5', '-1', 'foo 1'])('ignores %j rather than reading it as a date', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('classifyTransportFailure', () => {
  const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('ECONNREFUSED: unreachable, and the request never left', () => {
    const failure = classifyTransportFailure(
      'acct-1',
      errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      false,
    );
    expect(failure.maybeDelivered).toBe(false);
    expect(failure.error).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE', account: 'acct-1' });
    expect(failure.error.detail).toBe('connect: ECONNREFUSED');
    expect(failure.error.cause).toBeInstanceOf(Error);
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('%s: unreachable (dns), not delivered', (code) => {
    const failure = classifyTransportFailure('acct-1', errno(code), false);
    expect(failure.maybeDelivered).toBe(false);
    expect(failure.error.code).toBe('ERR_TOKEN_ENDPOINT_UNREACHABLE');
    expect(failure.error.detail).toBe(`dns: ${code}`);
  });

  it.each(['EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])(
    '%s: unreachable (connect), not delivered',
    (code) => {
      const failure = classifyTransportFailure('acct-1', errno(code), false);
      expect(failure).toMatchObject({
        maybeDelivered: false,
        error: { code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE' },
      });
    },
  );

  it('a connect failure is unreachable even when the timeout also fired', () => {
    expect(classifyTransportFailure('acct-1', errno('ECONNREFUSED'), true).maybeDelivered).toBe(false);
  });

  it('our own timeout: ERR_TOKEN_ENDPOINT_TIMEOUT, maybe delivered', () => {
    // AbortSignal.timeout() rejects with a DOMException TimeoutError, whose `code` is a number.
    const cause = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const failure = classifyTransportFailure('acct-1', cause, true);
    expect(failure.maybeDelivered).toBe(true);
    expect(failure.error.code).toBe('ERR_TOKEN_ENDPOINT_TIMEOUT');
  });

  it.each(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])(
    'undici %s: timeout, maybe delivered',
    (code) => {
      expect(classifyTransportFailure('acct-1', errno(code), false)).toMatchObject({
        maybeDelivered: true,
        error: { code: 'ERR_TOKEN_ENDPOINT_TIMEOUT' },
      });
    },
  );

  it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'])(
    '%s after sending: unreachable, maybe delivered',
    (code) => {
      const failure = classifyTransportFailure('acct-1', errno(code), false);
      expect(failure.maybeDelivered).toBe(true);
      expect(failure.error.code).toBe('ERR_TOKEN_ENDPOINT_UNREACHABLE');
      expect(failure.error.detail).toBe(`connection lost: ${code}`);
    },
  );

  it('a failure with no code at all is treated as possibly delivered', () => {
    expect(classifyTransportFailure('acct-1', new Error('other side closed'), false).maybeDelivered).toBe(
      true,
    );
    expect(classifyTransportFailure('acct-1', null, false).maybeDelivered).toBe(true);
  });

  it.each([
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ])('TLS failure %s: unreachable, not delivered', (code) => {
    const failure = classifyTransportFailure('acct-1', errno(code), false);
    expect(failure.maybeDelivered).toBe(false);
    expect(failure.error.detail).toBe(`tls: ${code}`);
  });

  // Regression: OpenSSL's verify codes do not all contain CERT/TLS/SSL. The handshake failed,
  // so nothing was sent; calling it "maybe delivered" freezes a refresh-token account needlessly.
  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'INVALID_CA', 'HOSTNAME_MISMATCH'])(
    'TLS failure %s: unreachable, not delivered',
    (code) => {
      const failure = classifyTransportFailure('acct-1', errno(code), false);
      expect(failure.error.code).toBe('ERR_TOKEN_ENDPOINT_UNREACHABLE');
      expect(failure.maybeDelivered).toBe(false);
    },
  );
});
