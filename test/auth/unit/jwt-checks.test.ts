/**
 * @module test/auth/unit/jwt-checks
 * Checks on access tokens that are JWTs (src/auth/jwt-checks.ts): time claims, audience, issuer
 * and scope, with and without signature verification against an SPKI PEM public key; opaque
 * tokens. Tokens are RS256 like USPS v3 tokens ([USPS-OAUTH] 5.4: "JWT, RS256").
 */
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import type { JwtExpectations } from '../../../src/core/account.js';
import { checkJwt, looksLikeJwt } from '../../../src/auth/jwt-checks.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { registerSecrets } from '../../support/log-capture.js';

const NOW = Date.parse('2025-08-20T21:26:36Z');
const nowS = NOW / 1000;
const ISSUER = 'https://keyc.usps.com/realms/USPS'; // [USPS-I84]
const AUDIENCE = 'https://apis.usps.com';

let privateKey: CryptoKey;
let publicPem: string;
let otherPem: string;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  otherPem = await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey);
});

const base = (): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'usps-consumer-key',
  iat: nowS - 60,
  nbf: nowS - 60,
  exp: nowS + 8 * 3600 - 60,
  scope: 'addresses tracking prices',
});

async function sign(
  claims: JWTPayload,
  alg = 'RS256',
  key: CryptoKey | Uint8Array = privateKey,
): Promise<string> {
  const token = await new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
  registerSecrets(token);
  return token;
}

const checks = (extra: Partial<JwtExpectations> = {}): JwtExpectations => ({
  clockToleranceSeconds: 30,
  ...extra,
});

async function jwtFailure(token: string, expectations: JwtExpectations): Promise<string> {
  try {
    await checkJwt('usps-tem', token, expectations, NOW);
  } catch (error) {
    expect(isGatewayError(error), `expected a GatewayError, got ${String(error)}`).toBe(true);
    if (!isGatewayError(error)) throw error;
    expect(error.code).toBe('ERR_TOKEN_JWT_INVALID');
    expect(error.account).toBe('usps-tem');
    expect(error.detail ?? '').not.toContain(token);
    return error.detail ?? '';
  }
  throw new Error('expected the JWT checks to fail');
}

describe('checkJwt without a verification key (claims only)', () => {
  it('passes a valid token and returns exp in milliseconds', async () => {
    const claims = base();
    await expect(checkJwt('usps-tem', await sign(claims), checks(), NOW)).resolves.toBe(claims.exp! * 1000);
  });

  it('refuses an exp in the past beyond the tolerance', async () => {
    const detail = await jwtFailure(await sign({ ...base(), exp: nowS - 31 }), checks());
    expect(detail).toContain('exp');
  });

  it('tolerates an exp just inside the clock tolerance', async () => {
    const token = await sign({ ...base(), exp: nowS - 29 });
    await expect(checkJwt('usps-tem', token, checks(), NOW)).resolves.toBe((nowS - 29) * 1000);
  });

  it('refuses an nbf in the future beyond the tolerance', async () => {
    const detail = await jwtFailure(await sign({ ...base(), nbf: nowS + 120 }), checks());
    expect(detail).toContain('nbf');
  });

  it('refuses an iat in the future beyond the tolerance', async () => {
    const detail = await jwtFailure(await sign({ ...base(), iat: nowS + 120 }), checks());
    expect(detail).toContain('iat');
  });

  it('refuses the wrong audience, single or in a list', async () => {
    const expectations = checks({ audience: AUDIENCE });
    expect(await jwtFailure(await sign({ ...base(), aud: 'https://other.example' }), expectations)).toContain(
      'aud',
    );
    await jwtFailure(await sign({ ...base(), aud: ['a', 'b'] }), expectations);
    const noAud = base();
    delete noAud.aud;
    await jwtFailure(await sign(noAud), expectations);
    await expect(
      checkJwt('usps-tem', await sign({ ...base(), aud: ['x', AUDIENCE] }), expectations, NOW),
    ).resolves.toBeTypeOf('number');
  });

  it('refuses the wrong issuer', async () => {
    const detail = await jwtFailure(
      await sign({ ...base(), iss: 'https://evil.example' }),
      checks({ issuer: ISSUER }),
    );
    expect(detail).toContain('iss');
  });

  it('refuses a token missing an expected scope and names the scope', async () => {
    const detail = await jwtFailure(await sign(base()), checks({ scopes: ['addresses', 'labels'] }));
    expect(detail).toContain('labels');
    expect(detail).not.toContain('addresses');
  });

  it('reads scopes from a `scp` array too', async () => {
    const claims = { ...base(), scope: undefined, scp: ['addresses', 'tracking'] };
    await expect(
      checkJwt('usps-tem', await sign(claims), checks({ scopes: ['tracking'] }), NOW),
    ).resolves.toBeTypeOf('number');
  });

  it('returns undefined for a JWT without exp', async () => {
    const claims = base();
    delete claims.exp;
    await expect(checkJwt('usps-tem', await sign(claims), checks(), NOW)).resolves.toBeUndefined();
  });
});

describe('checkJwt with a public key (SPKI PEM)', () => {
  const full = () =>
    checks({ publicKey: publicPem, audience: AUDIENCE, issuer: ISSUER, scopes: ['addresses'] });

  it('verifies a valid token and returns exp in milliseconds', async () => {
    const claims = base();
    await expect(checkJwt('usps-tem', await sign(claims), full(), NOW)).resolves.toBe(claims.exp! * 1000);
  });

  it('refuses a token signed by another key', async () => {
    const detail = await jwtFailure(await sign(base()), checks({ publicKey: otherPem }));
    expect(detail).toContain('verification failed');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await sign(base())).split('.');
    const forged = Buffer.from(JSON.stringify({ ...base(), scope: 'addresses labels payments' })).toString(
      'base64url',
    );
    await jwtFailure(`${header}.${forged}.${signature}`, full());
  });

  it.each<[string, Partial<JWTPayload>]>([
    ['an expired exp', { exp: nowS - 3600 }],
    ['a future nbf', { nbf: nowS + 3600 }],
    ['the wrong aud', { aud: 'https://other.example' }],
    ['the wrong iss', { iss: 'https://evil.example' }],
    ['no expected scope', { scope: 'tracking' }],
  ])('refuses %s even with a good signature', async (_name, change) => {
    await jwtFailure(await sign({ ...base(), ...change }), full());
  });

  it('refuses an opaque token when a key is configured', async () => {
    const detail = await jwtFailure('8xLOxBtZp8', checks({ publicKey: publicPem }));
    expect(detail).toContain('not a JWT');
  });

  // Regression: the key is imported with the algorithm named by the token's own header,
  // outside the try block, so these throw raw jose / WebCrypto errors (ERR_INTERNAL upstream).
  it.each<[string, () => Promise<string>]>([
    ['alg "none"', async () => new UnsecuredJWT(base()).encode()],
    ['alg HS256', async () => sign(base(), 'HS256', new TextEncoder().encode('k'.repeat(32)))],
    ['alg ES256', async () => sign(base(), 'ES256', (await generateKeyPair('ES256')).privateKey)],
  ])('refuses a token whose header says %s with ERR_TOKEN_JWT_INVALID', async (_name, make) => {
    await jwtFailure(await make(), checks({ publicKey: publicPem }));
  });
});

describe('opaque tokens', () => {
  it.each(['8xLOxBtZp8', 'a.b', 'not.a.jwt', 'ey.ey.ey'])('%j does not look like a JWT', (token) => {
    expect(looksLikeJwt(token)).toBe(false);
  });

  it('an opaque token passes when nothing requires a JWT', async () => {
    await expect(
      checkJwt('ups-main', 'QUJDREVGR0hJSktMTU5PUA', checks({ audience: AUDIENCE }), NOW),
    ).resolves.toBeUndefined();
  });

  it('a signed JWT looks like a JWT', async () => {
    expect(looksLikeJwt(await sign(base()))).toBe(true);
  });
});
