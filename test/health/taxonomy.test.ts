/**
 * @module test/health/taxonomy.test
 * The failure taxonomy (src/core/failures.ts) as operators rely on it: every class in
 * FAILURE_CLASSES is produced by some real input (error codes and details as src/auth/classify.ts
 * and src/auth/jwt-checks.ts write them, carrier API answers, the carriers' own `api.errorClasses`
 * data), so a class that becomes unreachable fails here; each carrier's codes map as declared in
 * carriers/<carrier>/errors.ts; throttling, revocation and expiry never land in one class nor
 * share a runbook; and a rejected token is premature expiry or expiry by its age alone.
 */
import fc from 'fast-check';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { CARRIERS } from '../../carriers/index.js';
import { validateCarrierData } from '../../src/accounts/resolve.js';
import { type JwtExpectations } from '../../src/core/account.js';
import type { CarrierId } from '../../carriers/index.js';
import { classifyHttpFailure, classifyTransportFailure, type GrantKind } from '../../src/auth/classify.js';
import { checkJwt } from '../../src/auth/jwt-checks.js';
import { ERROR_CODES, isGatewayError, type GatewayError } from '../../src/core/errors.js';
import { classifyApiAnswer, classifyError, PREMATURE_SHARE } from '../../src/core/failures.js';
import { FAILURE_CLASSES, RUNBOOKS, type FailureClass } from '../../src/core/failure-classes.js';
import { accountsFrom } from '../support/engine.js';

const HOUR_MS = 3_600_000;

/**
 * Classes no input in the tree produces: only a carrier's `api.errorClasses` can, and no carrier
 * documents an API code for a revoked token (RFC 6750 invalid_token, FedEx NOT.AUTHORIZED.ERROR,
 * UPS 250002 and USPS invalid_token all cover expiry and revocation alike). A carrier that maps a
 * code to it moves it out of this list.
 */
const DATA_ONLY: FailureClass[] = ['authorization.revoked'];

/** [carrier, code, the status it comes with (spec or observed), class] as carriers/<carrier>/errors.ts declares. */
const DECLARED: [CarrierId, string, number, FailureClass][] = [
  ['ups', '250002', 401, 'authorization.rejected'],
  ['ups', '250003', 401, 'downstream.client_error'],
  ['ups', '10429', 429, 'downstream.throttled'],
  ['fedex', 'NOT.AUTHORIZED.ERROR', 401, 'authorization.rejected'],
  ['fedex', 'LOGIN.REAUTHENTICATE.ERROR', 401, 'authorization.rejected'],
  ['fedex', 'FORBIDDEN.ERROR', 403, 'authorization.scope'],
  ['fedex', 'UNAUTHORIZED.USAGE', 403, 'authorization.scope'],
  ['usps', 'invalid_token', 401, 'authorization.rejected'],
  ['usps', 'insufficient_scope', 403, 'authorization.scope'],
  ['usps', 'SpikeArrestViolation', 429, 'downstream.throttled'],
  ['usps', 'QuotaViolation', 429, 'downstream.throttled'],
  ['oauth2', 'invalid_token', 401, 'authorization.rejected'],
  ['oauth2', 'insufficient_scope', 403, 'authorization.scope'],
  ['oauth2', 'invalid_request', 400, 'downstream.client_error'],
  ['laposte', 'UNAUTHORIZED', 401, 'authorization.rejected'],
  ['laposte', 'TOO_MANY_REQUESTS', 429, 'downstream.throttled'],
  ['colissimo', '30000', 403, 'authorization.rejected'],
  ['dhl-express', '998', 422, 'downstream.client_error'],
];

const CARRIER_IDS = Object.keys(CARRIERS) as CarrierId[];
const apiData = (carrier: CarrierId) => CARRIERS[carrier].data.api;

/** A failure below HTTP exactly as the token client reports it (src/auth/classify.ts). */
function transportFailure(socketCode: string, timedOut = false): GatewayError {
  return classifyTransportFailure(
    'acct',
    Object.assign(new Error(socketCode), { code: socketCode }),
    timedOut,
  ).error;
}

/** A token the JWT checks refuse, and why: the error src/auth/jwt-checks.ts throws. */
async function jwtFailure(claims: JWTPayload, expect: Partial<JwtExpectations>): Promise<GatewayError> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: 'RS256' })
    .sign(signing.privateKey);
  const error: unknown = await checkJwt(
    'acct',
    token,
    { clockToleranceSeconds: 30, ...expect },
    Date.now(),
  ).then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isGatewayError(error)) throw new Error(`the JWT checks accepted ${JSON.stringify(claims)}`);
  return error;
}

let signing: Awaited<ReturnType<typeof generateKeyPair>>;
let foreignPem = '';
/** The JWT checks' failures, with the class each must land in. */
let jwtCases: [string, GatewayError, FailureClass][] = [];

beforeAll(async () => {
  signing = await generateKeyPair('RS256');
  foreignPem = await exportSPKI((await generateKeyPair('RS256')).publicKey);
  const now = Math.floor(Date.now() / 1000);
  jwtCases = [
    ['exp in the past', await jwtFailure({ iat: now - 7200, exp: now - 3600 }, {}), 'authorization.expired'],
    ['nbf in the future', await jwtFailure({ nbf: now + 3600 }, {}), 'authorization.expired'],
    [
      'iat in the future',
      await jwtFailure({ iat: now + 3600, exp: now + 7200 }, {}),
      'authorization.expired',
    ],
    [
      'another audience',
      await jwtFailure({ aud: 'https://a.example' }, { audience: 'https://b.example' }),
      'authorization.audience',
    ],
    [
      'another issuer',
      await jwtFailure({ iss: 'https://a.example' }, { issuer: 'https://b.example' }),
      'authorization.audience',
    ],
    ['a missing scope', await jwtFailure({ scope: 'read' }, { scopes: ['write'] }), 'authorization.scope'],
    ['signed by another key', await jwtFailure({}, { publicKey: foreignPem }), 'authorization.signature'],
  ];
});

/** Every class the gateway's own error codes and details produce, carrier data aside. */
function classesFromErrors(): Set<FailureClass> {
  const classes = new Set<FailureClass>(ERROR_CODES.map((code) => classifyError(code)));
  const transport = [
    transportFailure('ENOTFOUND'),
    transportFailure('EAI_AGAIN'),
    transportFailure('ECONNREFUSED'),
    transportFailure('ERR_SSL_WRONG_VERSION_NUMBER'),
    transportFailure('DEPTH_ZERO_SELF_SIGNED_CERT'),
    transportFailure('ECONNRESET'),
    transportFailure('', true),
  ];
  for (const error of transport) classes.add(classifyError(error.code, error.detail));
  // The proxy reports an API connection failure with the socket code as its detail.
  for (const detail of ['ENOTFOUND', 'ECONNREFUSED', 'CERT_HAS_EXPIRED', 'ECONNRESET']) {
    classes.add(classifyError('ERR_CARRIER_UNREACHABLE', detail));
  }
  for (const [, error] of jwtCases) classes.add(classifyError(error.code, error.detail));
  return classes;
}

/** Every class carrier API answers produce by their status and the token's age. */
function classesFromStatuses(): Set<FailureClass> {
  const classes = new Set<FailureClass>();
  const ages = [
    {},
    { tokenAgeMs: 1_000, tokenLifetimeMs: HOUR_MS },
    { tokenAgeMs: HOUR_MS, tokenLifetimeMs: HOUR_MS },
  ];
  for (const carrier of CARRIER_IDS) {
    for (const status of [200, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503]) {
      for (const age of ages) {
        const found = classifyApiAnswer({
          status,
          tokenRejectedStatuses: apiData(carrier).tokenRejectedStatuses,
          ...age,
        });
        if (found !== null) classes.add(found);
      }
    }
  }
  return classes;
}

/** Every class the carriers' own codes produce through their `api.errorClasses`. */
function classesFromCarrierData(): Set<FailureClass> {
  const classes = new Set<FailureClass>();
  for (const carrier of CARRIER_IDS) {
    const { errorClasses = {}, tokenRejectedStatuses } = apiData(carrier);
    for (const code of Object.keys(errorClasses)) {
      const found = classifyApiAnswer({
        status: 400,
        carrierCode: code,
        carrierClasses: errorClasses,
        tokenRejectedStatuses,
      });
      if (found !== null) classes.add(found);
    }
  }
  return classes;
}

describe('every class is reachable', () => {
  it('from error codes, API answers and carrier data, except the classes only carrier data can produce', () => {
    const reachable = new Set([
      ...classesFromErrors(),
      ...classesFromStatuses(),
      ...classesFromCarrierData(),
    ]);
    const unreachable = FAILURE_CLASSES.filter((name) => !reachable.has(name));
    // A class dropping out of the gateway's code paths shows up here, by name.
    expect(unreachable).toEqual(DATA_ONLY);
  });

  it('a data-only class is produced as soon as a carrier maps a code to it', () => {
    for (const name of DATA_ONLY) {
      expect(
        classifyApiAnswer({
          status: 401,
          carrierCode: 'TOKEN.REVOKED',
          carrierClasses: { 'TOKEN.REVOKED': name },
          tokenRejectedStatuses: [401],
          tokenAgeMs: 1_000,
          tokenLifetimeMs: HOUR_MS,
        }),
      ).toBe(name);
    }
  });

  it('each JWT check lands in the class that names it', () => {
    for (const [name, error, expected] of jwtCases) {
      expect({ name, class: classifyError(error.code, error.detail) }).toEqual({ name, class: expected });
    }
  });

  it('with a configured key, jose claim failures land in expired or audience, not signature', async () => {
    const pem = await exportSPKI(signing.publicKey);
    const now = Math.floor(Date.now() / 1000);
    const expired = await jwtFailure({ iat: now - 7200, exp: now - 3600 }, { publicKey: pem });
    expect(classifyError(expired.code, expired.detail)).toBe('authorization.expired');
    const audience = await jwtFailure(
      { aud: 'https://a.example' },
      { publicKey: pem, audience: 'https://b.example' },
    );
    expect(classifyError(audience.code, audience.detail)).toBe('authorization.audience');
    const early = await jwtFailure({ nbf: now + 3600 }, { publicKey: pem });
    expect(classifyError(early.code, early.detail)).toBe('authorization.expired');
  });

  it('each failure below HTTP lands in its transport class, whatever the endpoint', () => {
    const classOf = (error: GatewayError) => classifyError(error.code, error.detail);
    expect(classOf(transportFailure('ENOTFOUND'))).toBe('transport.dns');
    expect(classOf(transportFailure('ERR_SSL_WRONG_VERSION_NUMBER'))).toBe('transport.tls');
    expect(classOf(transportFailure('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('transport.tls');
    expect(classOf(transportFailure('ECONNREFUSED'))).toBe('transport.connect');
    // A reset after sending is no connection failure: the endpoint was reached.
    expect(classOf(transportFailure('ECONNRESET'))).toBe('token_endpoint.unreachable');
    expect(classOf(transportFailure('', true))).toBe('token_endpoint.timeout');
    expect(classifyError('ERR_CARRIER_UNREACHABLE', 'ENOTFOUND')).toBe('transport.dns');
    expect(classifyError('ERR_CARRIER_UNREACHABLE', 'ECONNRESET')).toBe('downstream.server_error');
  });
});

describe('carrier API codes map as declared', () => {
  it.each(CARRIER_IDS)('%s: api.errorClasses is exactly the declared table', (carrier) => {
    const expected = Object.fromEntries(
      DECLARED.filter(([owner]) => owner === carrier).map(([, code, , name]) => [code, name]),
    );
    expect(apiData(carrier).errorClasses).toEqual(expected);
  });

  it('the data passes the descriptor schema (every value is a failure class)', () => {
    expect(() => validateCarrierData()).not.toThrow();
  });

  it.each(DECLARED)('%s %s (HTTP %i) → %s', (carrier, code, status, expected) => {
    const { errorClasses, tokenRejectedStatuses } = apiData(carrier);
    expect(
      classifyApiAnswer({ status, carrierCode: code, carrierClasses: errorClasses!, tokenRejectedStatuses }),
    ).toBe(expected);
  });

  it('UPS 250003 (a path without /api) is the request, not the token: without the entry a 401 would read as premature expiry', () => {
    const facts = {
      status: 401,
      carrierCode: '250003',
      tokenRejectedStatuses: [401],
      tokenAgeMs: 1_000,
      tokenLifetimeMs: 4 * HOUR_MS,
    };
    expect(classifyApiAnswer(facts)).toBe('authorization.premature_expiry');
    expect(classifyApiAnswer({ ...facts, carrierClasses: apiData('ups').errorClasses! })).toBe(
      'downstream.client_error',
    );
  });

  it('an unknown code falls back to the status', () => {
    const { errorClasses, tokenRejectedStatuses } = apiData('fedex');
    const answer = (status: number) =>
      classifyApiAnswer({
        status,
        carrierCode: 'SOMETHING.NEW',
        carrierClasses: errorClasses!,
        tokenRejectedStatuses,
      });
    expect(answer(429)).toBe('downstream.throttled');
    expect(answer(503)).toBe('downstream.server_error');
    expect(answer(401)).toBe('authorization.rejected');
  });
});

/** The resolved token profile of a carrier's account, as the engine uses it. */
function profileOf(carrier: CarrierId) {
  const [account] = accountsFrom(
    `  - id: ${carrier}-taxonomy\n    carrier: ${carrier}\n    credentials: { clientId: id, clientSecret: secret }`,
  );
  return account!.token;
}

/** A token endpoint's answer, through src/auth/classify.ts, to its class. */
function tokenAnswer(carrier: CarrierId, grant: GrantKind, status: number, body: unknown): FailureClass {
  const error = classifyHttpFailure(`${carrier}-taxonomy`, profileOf(carrier), grant, { status, body });
  return classifyError(error.code, error.detail);
}

const upsBody = (code: string, message: string) => ({ response: { errors: [{ code, message }] } });

describe('throttling, revocation and expiry never collapse', () => {
  it('at the token endpoint: UPS and USPS bodies from the facts file land in three distinct classes', () => {
    // [UPS-I8] 429 10429; [TECHSHIP] 10400 "Invalid Refresh Token" on refresh; [KAR-I503] 401 10401.
    const ups = {
      throttled: tokenAnswer('ups', 'initial', 429, upsBody('10429', 'Too Many Requests')),
      revoked: tokenAnswer('ups', 'refresh', 400, upsBody('10400', 'Invalid Refresh Token')),
      rotated: tokenAnswer('ups', 'initial', 401, upsBody('10401', 'ClientId is Invalid')),
    };
    expect(ups).toEqual({
      throttled: 'token_endpoint.throttled',
      revoked: 'token_endpoint.invalid_grant',
      rotated: 'token_endpoint.invalid_client',
    });
    // [USPS-OAUTH]: the spike arrest is an `invalid_request` body on a 429; a revoked refresh token
    // is `invalid_request` on a 400. The status keeps the first a wait, the grant the second a re-consent.
    const usps = {
      throttled: tokenAnswer('usps', 'initial', 429, {
        error: 'invalid_request',
        error_description: 'SpikeArrestViolation: Too many requests received from client in a short time.',
      }),
      revoked: tokenAnswer('usps', 'refresh', 400, {
        error: 'invalid_request',
        error_description: 'Invalid Refresh Token: ... may be missing, have expired or have been revoked.',
        refresh_token_status: 'revoked',
      }),
      rotated: tokenAnswer('usps', 'initial', 401, {
        error: 'invalid_client',
        error_description: 'Client authentication failed.',
      }),
    };
    expect(usps).toEqual({
      throttled: 'token_endpoint.throttled',
      revoked: 'token_endpoint.invalid_grant',
      rotated: 'token_endpoint.invalid_client',
    });
    // Expiry at the endpoint is the JWT check's verdict, a class of its own.
    expect(jwtCases.find(([name]) => name === 'exp in the past')![2]).toBe('authorization.expired');
  });

  it('at the carrier API: a 429 is throttling at any token age, a rejection never is', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 400, max: 599 }),
        fc.integer({ min: 1, max: 24 * HOUR_MS }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (status, lifetime, share) => {
          const found = classifyApiAnswer({
            status,
            tokenRejectedStatuses: [401],
            tokenAgeMs: lifetime * share,
            tokenLifetimeMs: lifetime,
          });
          if (status === 429) return found === 'downstream.throttled';
          if (status === 401)
            return found === 'authorization.premature_expiry' || found === 'authorization.expired';
          // Without a carrier code nothing reads as revoked, and nothing else as throttled.
          return found !== 'authorization.revoked' && found !== 'downstream.throttled';
        },
      ),
    );
  });

  it("the carriers' throttling codes are throttling, whatever status comes with them", () => {
    const throttling = DECLARED.filter(([, , , name]) => name === 'downstream.throttled');
    expect(throttling.map(([carrier, code]) => `${carrier} ${code}`)).toEqual([
      'ups 10429',
      'usps SpikeArrestViolation',
      'usps QuotaViolation',
      'laposte TOO_MANY_REQUESTS',
    ]);
    for (const [carrier, code] of throttling) {
      const { errorClasses, tokenRejectedStatuses } = apiData(carrier);
      for (const status of [401, 403, 429, 503]) {
        expect(
          classifyApiAnswer({
            status,
            carrierCode: code,
            carrierClasses: errorClasses!,
            tokenRejectedStatuses,
          }),
        ).toBe('downstream.throttled');
      }
    }
  });

  it('wait, re-consent and look at the clock are three runbooks that share no class', () => {
    const runbooks = (names: FailureClass[]) => new Set(names.map((name) => RUNBOOKS[name]));
    const wait = runbooks(['token_endpoint.throttled', 'downstream.throttled']);
    const reconsent = runbooks([
      'authorization.revoked',
      'token_endpoint.invalid_grant',
      'gateway.reauthorization_required',
    ]);
    const clock = runbooks(['authorization.expired', 'authorization.premature_expiry']);
    const rotate = runbooks(['token_endpoint.invalid_client']);
    expect([...wait, ...reconsent, ...clock, ...rotate]).toEqual([
      'throttling',
      'reauthorization',
      'clock-skew',
      'invalid-client',
    ]);
  });
});

describe('premature expiry against expiry by token age', () => {
  const lifetime = 4 * HOUR_MS;
  const rejected = (tokenAgeMs?: number, status = 401, tokenRejectedStatuses = [401]) =>
    classifyApiAnswer({
      status,
      tokenRejectedStatuses,
      ...(tokenAgeMs !== undefined ? { tokenAgeMs, tokenLifetimeMs: lifetime } : {}),
    });

  it(`is premature before ${PREMATURE_SHARE * 100} % of the announced lifetime, expiry from there on`, () => {
    expect(rejected(0)).toBe('authorization.premature_expiry');
    expect(rejected(lifetime * PREMATURE_SHARE - 1)).toBe('authorization.premature_expiry');
    expect(rejected(lifetime * PREMATURE_SHARE)).toBe('authorization.expired');
    expect(rejected(lifetime)).toBe('authorization.expired');
    expect(rejected(lifetime * 2)).toBe('authorization.expired');
  });

  it('is decided by the share of the lifetime alone, for any lifetime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 31 * 24 * HOUR_MS }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (life, share) => {
          const age = life * share;
          const expected =
            age < life * PREMATURE_SHARE ? 'authorization.premature_expiry' : 'authorization.expired';
          return (
            classifyApiAnswer({
              status: 401,
              tokenRejectedStatuses: [401],
              tokenAgeMs: age,
              tokenLifetimeMs: life,
            }) === expected
          );
        },
      ),
    );
  });

  it('without a token age (static credentials) a rejection is only "rejected"', () => {
    expect(rejected()).toBe('authorization.rejected');
    // Colissimo rejects a bad key with 403 ([COL-SPEC]), so 403 is a rejection there, not a scope.
    expect(rejected(undefined, 403, apiData('colissimo').tokenRejectedStatuses)).toBe(
      'authorization.rejected',
    );
  });

  it('a status that is no token rejection ignores the age', () => {
    expect(rejected(0, 403)).toBe('authorization.scope');
    expect(rejected(lifetime * 2, 429)).toBe('downstream.throttled');
    expect(rejected(0, 500)).toBe('downstream.server_error');
  });
});
