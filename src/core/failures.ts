/**
 * @module health/taxonomy
 * The failure taxonomy: every failure the gateway sees, at a token endpoint, at a carrier API or
 * in its own machinery, lands in exactly one class. The classes are what tell an operator what
 * to do: wait (throttled, server_error, timeout), rotate a secret (invalid_client), re-consent
 * (invalid_grant, reauthorization_required), fix configuration (invalid_scope, audience, scope),
 * or look at the carrier (revoked, premature_expiry). Throttling, revocation and expiry are kept
 * apart on purpose.
 *
 * Token-endpoint failures arrive as stable error codes (src/auth/classify.ts has already mapped
 * each carrier's codes); carrier API answers are classified here from their status and the
 * carrier's own code, which each carrier maps as data (`api.errorClasses` in its errors.ts).
 */
import type { GatewayErrorCode } from './errors.js';

export const FAILURE_CLASSES = [
  'token_endpoint.unreachable',
  'token_endpoint.timeout',
  'token_endpoint.server_error',
  'token_endpoint.throttled',
  'token_endpoint.invalid_client',
  'token_endpoint.invalid_grant',
  'token_endpoint.invalid_scope',
  'token_endpoint.unauthorized_client',
  'token_endpoint.invalid_request',
  'token_endpoint.malformed_response',
  'token_endpoint.error_in_success_body',
  'authorization.expired',
  'authorization.premature_expiry',
  'authorization.audience',
  'authorization.scope',
  'authorization.signature',
  'authorization.revoked',
  'authorization.rejected',
  'downstream.client_error',
  'downstream.server_error',
  'downstream.timeout',
  'downstream.throttled',
  'transport.tls',
  'transport.dns',
  'transport.connect',
  'gateway.lock_timeout',
  'gateway.redis_unavailable',
  'gateway.reauthorization_required',
  'gateway.internal',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** Classes an operator reads as "authentication is broken" (they feed the auth breaker and the score). */
export function isAuthClass(failureClass: FailureClass): boolean {
  return (
    failureClass.startsWith('token_endpoint.') ||
    failureClass.startsWith('authorization.') ||
    failureClass === 'gateway.reauthorization_required'
  );
}

const BY_CODE: Partial<Record<GatewayErrorCode, FailureClass>> = {
  ERR_TOKEN_ENDPOINT_TIMEOUT: 'token_endpoint.timeout',
  ERR_TOKEN_ENDPOINT_SERVER_ERROR: 'token_endpoint.server_error',
  ERR_TOKEN_ENDPOINT_THROTTLED: 'token_endpoint.throttled',
  ERR_TOKEN_INVALID_CLIENT: 'token_endpoint.invalid_client',
  ERR_TOKEN_INVALID_GRANT: 'token_endpoint.invalid_grant',
  ERR_TOKEN_INVALID_SCOPE: 'token_endpoint.invalid_scope',
  ERR_TOKEN_UNAUTHORIZED_CLIENT: 'token_endpoint.unauthorized_client',
  ERR_TOKEN_REQUEST_REJECTED: 'token_endpoint.invalid_request',
  ERR_TOKEN_MALFORMED_RESPONSE: 'token_endpoint.malformed_response',
  ERR_TOKEN_ERROR_IN_SUCCESS_BODY: 'token_endpoint.error_in_success_body',
  // Sent, no answer known: the endpoint did not answer in a way that settles it.
  ERR_REFRESH_OUTCOME_UNKNOWN: 'token_endpoint.timeout',
  ERR_REAUTHORIZATION_REQUIRED: 'gateway.reauthorization_required',
  ERR_LOCK_TIMEOUT: 'gateway.lock_timeout',
  ERR_REDIS_UNAVAILABLE: 'gateway.redis_unavailable',
  ERR_CARRIER_TIMEOUT: 'downstream.timeout',
  ERR_CARRIER_THROTTLED: 'downstream.throttled',
};

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
  return BY_CODE[code] ?? 'gateway.internal';
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

/**
 * The runbook (docs/runbooks/, issue 6 writes them) an operator follows for each class. One
 * runbook covers classes that call for the same action.
 */
export const RUNBOOKS: Record<FailureClass, string> = {
  'token_endpoint.unreachable': 'token-endpoint-down',
  'token_endpoint.timeout': 'token-endpoint-down',
  'token_endpoint.server_error': 'token-endpoint-down',
  'token_endpoint.throttled': 'throttling',
  'token_endpoint.invalid_client': 'invalid-client',
  'token_endpoint.invalid_grant': 'reauthorization',
  'token_endpoint.invalid_scope': 'scope-drift',
  'token_endpoint.unauthorized_client': 'scope-drift',
  'token_endpoint.invalid_request': 'invalid-client',
  'token_endpoint.malformed_response': 'token-endpoint-down',
  'token_endpoint.error_in_success_body': 'invalid-client',
  'authorization.expired': 'clock-skew',
  'authorization.premature_expiry': 'clock-skew',
  'authorization.audience': 'scope-drift',
  'authorization.scope': 'scope-drift',
  'authorization.signature': 'signing-key-rotation',
  'authorization.revoked': 'reauthorization',
  'authorization.rejected': 'invalid-client',
  'downstream.client_error': 'carrier-api-outage',
  'downstream.server_error': 'carrier-api-outage',
  'downstream.timeout': 'carrier-api-outage',
  'downstream.throttled': 'throttling',
  'transport.tls': 'token-endpoint-down',
  'transport.dns': 'token-endpoint-down',
  'transport.connect': 'token-endpoint-down',
  'gateway.lock_timeout': 'redis-down',
  'gateway.redis_unavailable': 'redis-down',
  'gateway.reauthorization_required': 'reauthorization',
  'gateway.internal': 'carrier-api-outage',
};

export const RUNBOOK_BASE = 'docs/runbooks/';

export function runbookFor(failureClass: FailureClass): string {
  return `${RUNBOOK_BASE}${RUNBOOKS[failureClass]}.md`;
}
