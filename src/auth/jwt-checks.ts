/**
 * @module auth/jwt-checks
 * When an access token is a JWT, checks `exp`/`nbf`/`iat` (with a clock tolerance), `aud`,
 * `iss` and scope where the account declares expected values, and the signature when a JWKS URL
 * or public key is configured. An opaque token passes untouched: most carriers do not promise a
 * format ([UPS-AC] leaves it unspecified).
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  importSPKI,
  jwtVerify,
  type JWTPayload,
} from 'jose';

import type { JwtExpectations } from '../core/account.js';
import { GatewayError } from '../core/errors.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type VerificationKey = Parameters<typeof jwtVerify>[1];

/**
 * After a carrier rotates its signing key, a token with the new `kid` fails until the key set is
 * fetched again; jose waits `cooldownDuration` after the last fetch before it refetches (30 s by
 * default). 5 s keeps a rotation short without letting unknown kids flood the carrier's JWKS.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

/** Caches remote key sets per URL; jose refreshes them itself with a cooldown. */
const remoteKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

async function verificationKey(expect: JwtExpectations, alg: string): Promise<VerificationKey> {
  if (expect.jwksUrl !== undefined) {
    let set = remoteKeySets.get(expect.jwksUrl);
    if (!set) {
      set = createRemoteJWKSet(new URL(expect.jwksUrl), { cooldownDuration: JWKS_REFETCH_COOLDOWN_MS });
      remoteKeySets.set(expect.jwksUrl, set);
    }
    return set;
  }
  return importSPKI(expect.publicKey!, alg);
}

function invalid(account: string, detail: string, cause?: unknown): GatewayError {
  return new GatewayError('ERR_TOKEN_JWT_INVALID', undefined, { account, detail, cause });
}

export function looksLikeJwt(token: string): boolean {
  if (!JWT_SHAPE.test(token)) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the JWT `exp` in epoch ms (carrier clock) when the token is a JWT, so the caller can
 * end the token's life no later than that; throws ERR_TOKEN_JWT_INVALID on a failed check.
 */
export async function checkJwt(
  account: string,
  token: string,
  expect: JwtExpectations,
  nowMs: number,
): Promise<number | undefined> {
  if (!looksLikeJwt(token)) {
    if (expect.jwksUrl !== undefined || expect.publicKey !== undefined) {
      invalidOpaque(account);
    }
    return undefined;
  }
  const tolerance = expect.clockToleranceSeconds;
  let payload: JWTPayload;
  if (expect.jwksUrl !== undefined || expect.publicKey !== undefined) {
    try {
      const alg = decodeProtectedHeader(token).alg;
      // The algorithm comes from the token, so it is checked against asymmetric ones before the
      // key is imported for it: "none" and HMAC with a public key are classic forgeries.
      if (alg === undefined || !ASYMMETRIC_ALGORITHMS.includes(alg))
        throw new Error(`algorithm ${alg ?? 'missing'}`);
      const key = await verificationKey(expect, alg);
      const options = {
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
        ...(expect.audience !== undefined ? { audience: expect.audience } : {}),
        ...(expect.issuer !== undefined ? { issuer: expect.issuer } : {}),
      };
      // jwtVerify has overloads for a key and for a key-set function; both are valid here.
      payload = (await jwtVerify(token, key as Parameters<typeof jwtVerify>[1] & Uint8Array, options))
        .payload;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERR_JWT';
      // jose checked the signature and then a claim: name the claim, so expiry and audience
      // failures are not mistaken for a bad signature (src/core/failures.ts reads the detail).
      if (code === 'ERR_JWT_EXPIRED') throw invalid(account, `exp is in the past (${code})`, error);
      const claim = (error as { claim?: string }).claim;
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim !== undefined) {
        throw invalid(account, `${claim} claim check failed (${code})`, error);
      }
      throw invalid(account, `verification failed (${code})`, error);
    }
  } else {
    try {
      payload = decodeJwt(token);
    } catch (error) {
      throw invalid(account, 'undecodable JWT payload', error);
    }
    const now = nowMs / 1000;
    if (typeof payload.exp === 'number' && payload.exp + tolerance < now)
      throw invalid(account, 'exp is in the past');
    if (typeof payload.nbf === 'number' && payload.nbf - tolerance > now)
      throw invalid(account, 'nbf is in the future');
    if (expect.audience !== undefined) {
      const audiences = Array.isArray(payload.aud)
        ? payload.aud
        : payload.aud === undefined
          ? []
          : [payload.aud];
      if (!audiences.includes(expect.audience))
        throw invalid(account, 'aud does not include the expected audience');
    }
    if (expect.issuer !== undefined && payload.iss !== expect.issuer)
      throw invalid(account, 'iss is not the expected issuer');
  }
  if (typeof payload.iat === 'number' && payload.iat - tolerance > nowMs / 1000) {
    throw invalid(account, 'iat is in the future beyond the clock tolerance');
  }
  if (expect.scopes !== undefined) {
    const granted = new Set(
      typeof payload.scope === 'string'
        ? payload.scope.split(' ')
        : Array.isArray(payload.scp)
          ? payload.scp.map(String)
          : [],
    );
    const missing = expect.scopes.filter((scope) => !granted.has(scope));
    if (missing.length > 0) throw invalid(account, `scope lacks ${missing.join(', ')}`);
  }
  return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
}

function invalidOpaque(account: string): never {
  throw invalid(account, 'a signature check is configured but the token is not a JWT');
}
