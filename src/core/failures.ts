/**
 * @module core/failures
 * How a failure lands in its class (src/core/failure-classes.ts). Gateway errors by their code,
 * through the error catalogue's `failureClass` (src/core/errors.ts), refined by their detail.
 * Token-endpoint failures arrive as stable error codes (src/auth/classify.ts has already mapped
 * each carrier's codes); carrier API answers are classified here from their status and the
 * carrier's own code, which each carrier maps as data (`api.errorClasses` in its errors.ts).
 */
import { ERROR_CATALOGUE, ERROR_CODES, type GatewayErrorCode } from './errors.js';
import type { FailureClass } from './failure-classes.js';

/**
 * Classes only the gateway's own machinery produces (lock, Redis, a bug): never counted against a
 * carrier account. Derived from the catalogue's `countsAgainstCarrier`.
 */
export const GATEWAY_OWN_CLASSES: ReadonlySet<FailureClass> = new Set(
  ERROR_CODES.filter((code) => !ERROR_CATALOGUE[code].countsAgainstCarrier)
    .map((code): FailureClass | null => ERROR_CATALOGUE[code].failureClass)
    .filter((failureClass): failureClass is FailureClass => failureClass !== null),
);

/**
 * The class of a gateway error. `detail` refines the two codes that cover several causes: an
 * unreachable endpoint (`dns:`, `connect:`, `tls:` from src/auth/classify.ts) and a JWT check
 * (src/auth/jwt-checks.ts names the failed check).
 */
export function classifyError(code: GatewayErrorCode, detail?: string): FailureClass {
  if (code === 'ERR_TOKEN_ENDPOINT_UNREACHABLE' || code === 'ERR_CARRIER_UNREACHABLE') {
    const transport = transportClass(detail);
    if (transport) return transport;
    return code === 'ERR_CARRIER_UNREACHABLE' ? 'downstream.server_error' : 'token_endpoint.unreachable';
  }
  if (code === 'ERR_TOKEN_JWT_INVALID') return jwtClass(detail ?? '');
  return ERROR_CATALOGUE[code].failureClass ?? 'gateway.internal';
}

function transportClass(detail: string | undefined): FailureClass | undefined {
  if (detail === undefined) return undefined;
  if (detail.startsWith('dns:') || /ENOTFOUND|EAI_AGAIN/.test(detail)) return 'transport.dns';
  if (detail.startsWith('tls:') || /CERT|TLS|SSL/.test(detail)) return 'transport.tls';
  if (detail.startsWith('connect:') || /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|CONNECT_TIMEOUT/.test(detail)) {
    return 'transport.connect';
  }
  return undefined;
}

/** The JWT checks' details (src/auth/jwt-checks.ts) → the authorization class they reveal. */
function jwtClass(detail: string): FailureClass {
  // nbf and iat out of range are time-validity failures too (clock skew shows as one of these).
  if (/^(exp|nbf|iat) /.test(detail)) return 'authorization.expired';
  if (detail.startsWith('aud ') || detail.startsWith('iss ')) return 'authorization.audience';
  if (detail.startsWith('scope ')) return 'authorization.scope';
  return 'authorization.signature';
}

/** What the gateway knows about a carrier API answer worth classifying. */
export interface ApiAnswerFacts {
  status: number;
  /** The carrier's own code from the body, if any. */
  carrierCode?: string;
  /** The carrier's codes → classes (its `api.errorClasses` data). */
  carrierClasses?: Readonly<Record<string, FailureClass>>;
  /** The carrier's statuses for "this token is not accepted". */
  tokenRejectedStatuses: readonly number[];
  /** How old the rejected token was, and the lifetime it was issued with (ms). */
  tokenAgeMs?: number;
  tokenLifetimeMs?: number;
}

/** Share of the announced lifetime before which a rejection counts as premature expiry. */
export const PREMATURE_SHARE = 0.9;

/** The class of a carrier API answer, or null when it is a success. */
export function classifyApiAnswer(facts: ApiAnswerFacts): FailureClass | null {
  if (facts.status < 400) return null;
  const mapped = facts.carrierCode !== undefined ? facts.carrierClasses?.[facts.carrierCode] : undefined;
  // A carrier's generic "token rejected" code still leaves the token's age to tell expiry apart.
  if (mapped && mapped !== 'authorization.rejected') return mapped;
  if (mapped === 'authorization.rejected' || facts.tokenRejectedStatuses.includes(facts.status)) {
    const { tokenAgeMs, tokenLifetimeMs } = facts;
    if (tokenAgeMs !== undefined && tokenLifetimeMs !== undefined) {
      // Our own clock says the token should still live: the carrier dropped it early.
      if (tokenAgeMs < tokenLifetimeMs * PREMATURE_SHARE) return 'authorization.premature_expiry';
      return 'authorization.expired';
    }
    return 'authorization.rejected';
  }
  if (facts.status === 403) return 'authorization.scope';
  if (facts.status === 429) return 'downstream.throttled';
  if (facts.status >= 500) return 'downstream.server_error';
  return 'downstream.client_error';
}
