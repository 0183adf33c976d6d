/**
 * @module core/errors
 * The one error catalogue. Every failure the gateway reports carries a stable `code` from
 * `ERROR_CATALOGUE`; codes never change once published and each is documented in README.md
 * (test/errors.test.ts keeps the two in step). Responses render errors as RFC 9457
 * `application/problem+json` through `toProblem`.
 */
import type { FailureClass } from './failure-classes.js';

/**
 * What every code means. `failureClass`: the class of the failure taxonomy it lands in (refined
 * by the error's detail for an unreachable host and a failed JWT check, src/core/failures.ts);
 * null for codes about the client's request or the gateway's own API, which say nothing about a
 * carrier account. `countsAgainstCarrier`: the carrier (its token endpoint or its API) caused it,
 * so it counts on the account's auth breaker when it stops a shipment from getting a token; the
 * gateway's own machinery (lock, Redis, a bug) never does.
 */
interface CatalogueEntry {
  status: number;
  title: string;
  failureClass: FailureClass | null;
  countsAgainstCarrier: boolean;
}

/** Stable codes with their HTTP status and a one-line meaning (the README lists the same). */
export const ERROR_CATALOGUE = {
  ERR_CONFIG_INVALID: {
    status: 500,
    title: 'Configuration is invalid',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_UNAUTHENTICATED: {
    status: 401,
    title: 'Client API key missing or wrong',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_ACCOUNT_FORBIDDEN: {
    status: 403,
    title: 'Client may not use this carrier account',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_ACCOUNT_NOT_FOUND: {
    status: 404,
    title: 'No such carrier account',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_ROUTE_NOT_FOUND: {
    status: 404,
    title: 'No such route',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_PATH_REJECTED: {
    status: 400,
    title: 'Proxy path is not allowed',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_TOKEN_ENDPOINT_UNREACHABLE: {
    status: 502,
    title: 'Carrier token endpoint unreachable',
    failureClass: 'token_endpoint.unreachable',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_ENDPOINT_TIMEOUT: {
    status: 504,
    title: 'Carrier token endpoint timed out',
    failureClass: 'token_endpoint.timeout',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_ENDPOINT_SERVER_ERROR: {
    status: 502,
    title: 'Carrier token endpoint failed (5xx)',
    failureClass: 'token_endpoint.server_error',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_ENDPOINT_THROTTLED: {
    status: 503,
    title: 'Carrier token endpoint is throttling',
    failureClass: 'token_endpoint.throttled',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_INVALID_CLIENT: {
    status: 502,
    title: 'Carrier rejected the client credentials',
    failureClass: 'token_endpoint.invalid_client',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_INVALID_GRANT: {
    status: 502,
    title: 'Carrier rejected the grant (refresh token or code)',
    failureClass: 'token_endpoint.invalid_grant',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_INVALID_SCOPE: {
    status: 502,
    title: 'Carrier rejected the requested scope',
    failureClass: 'token_endpoint.invalid_scope',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_UNAUTHORIZED_CLIENT: {
    status: 502,
    title: 'Client is not allowed this grant',
    failureClass: 'token_endpoint.unauthorized_client',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_REQUEST_REJECTED: {
    status: 502,
    title: 'Carrier rejected the token request',
    failureClass: 'token_endpoint.invalid_request',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_MALFORMED_RESPONSE: {
    status: 502,
    title: 'Carrier token response is malformed',
    failureClass: 'token_endpoint.malformed_response',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_ERROR_IN_SUCCESS_BODY: {
    status: 502,
    title: 'Carrier answered 200 with an error body',
    failureClass: 'token_endpoint.error_in_success_body',
    countsAgainstCarrier: true,
  },
  ERR_TOKEN_JWT_INVALID: {
    status: 502,
    title: 'Issued token failed JWT checks',
    failureClass: 'authorization.signature',
    countsAgainstCarrier: true,
  },
  ERR_REFRESH_OUTCOME_UNKNOWN: {
    status: 503,
    title: 'Refresh sent but its outcome is unknown',
    failureClass: 'token_endpoint.timeout',
    countsAgainstCarrier: true,
  },
  ERR_REAUTHORIZATION_REQUIRED: {
    status: 503,
    title: 'Account needs re-authorization',
    failureClass: 'gateway.reauthorization_required',
    countsAgainstCarrier: true,
  },
  ERR_LOCK_TIMEOUT: {
    status: 503,
    title: 'Timed out waiting for the shared refresh lock',
    failureClass: 'gateway.lock_timeout',
    countsAgainstCarrier: false,
  },
  ERR_REDIS_UNAVAILABLE: {
    status: 503,
    title: 'Redis unavailable for an operation that needs it',
    failureClass: 'gateway.redis_unavailable',
    countsAgainstCarrier: false,
  },
  ERR_ADMIN_UNAUTHENTICATED: {
    status: 401,
    title: 'Admin API key missing or wrong',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_AUTHORIZATION_NOT_CONFIGURED: {
    status: 409,
    title: 'Account has no authorization-code onboarding',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_STATE_INVALID: {
    status: 400,
    title: 'Authorization state unknown or already used',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_STATE_EXPIRED: {
    status: 400,
    title: 'Authorization state expired',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_REDIRECT_URI_MISMATCH: {
    status: 400,
    title: 'Redirect URI does not match the authorization',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_ACCESS_DENIED: {
    status: 403,
    title: 'Authorization denied at the carrier',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_AUTHORIZATION_FAILED: {
    status: 502,
    title: 'Carrier refused the authorization request',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_CALLBACK_INVALID: {
    status: 400,
    title: 'Authorization callback is malformed',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_CODE_REJECTED: {
    status: 400,
    title: 'Carrier rejected the authorization code',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OAUTH_BROWSER_MISMATCH: {
    status: 403,
    title: 'Callback did not come from the browser that started the authorization',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_BODY_TOO_LARGE: {
    status: 413,
    title: 'Request body too large',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_DEPENDENT_TOKEN_NOT_CONFIGURED: {
    status: 409,
    title: 'Account lacks what this path needs (payment)',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_CARRIER_UNREACHABLE: {
    status: 502,
    title: 'Carrier API unreachable',
    failureClass: 'downstream.server_error',
    countsAgainstCarrier: true,
  },
  ERR_CARRIER_TIMEOUT: {
    status: 504,
    title: 'Carrier API timed out',
    failureClass: 'downstream.timeout',
    countsAgainstCarrier: true,
  },
  ERR_REQUEST_INVALID: {
    status: 400,
    title: 'Request body is invalid',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    title: 'Idempotency-Key header missing or malformed',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    title: 'A request with this Idempotency-Key is in progress',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency-Key was used with a different body',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHIPMENT_REJECTED: {
    status: 422,
    title: 'Carrier refused the shipment data',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHIPMENT_RULES_UNMET: {
    status: 422,
    title: 'Shipment lacks what the carrier requires on this lane',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHIPMENT_OUTCOME_UNKNOWN: {
    status: 502,
    title: 'Shipment sent but its outcome is unknown',
    failureClass: 'downstream.server_error',
    countsAgainstCarrier: true,
  },
  ERR_SHIPMENT_NOT_FOUND: {
    status: 404,
    title: 'No such shipment',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHIPMENT_NOT_VOIDABLE: {
    status: 409,
    title: 'Shipment is not in a state that can be voided',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_VOID_REFUSED: {
    status: 409,
    title: 'Carrier refused to void the shipment',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_VOID_NOT_OFFERED: {
    status: 422,
    title: 'Carrier offers no way to void a shipment through its API',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_VOID_OUTCOME_UNKNOWN: {
    status: 502,
    title: 'Void sent but its outcome is unknown',
    failureClass: 'downstream.server_error',
    countsAgainstCarrier: true,
  },
  ERR_NO_ACCOUNT_AVAILABLE: {
    status: 503,
    title: 'No carrier account could take the shipment',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_CARRIER_THROTTLED: {
    status: 503,
    title: 'Carrier API is throttling',
    failureClass: 'downstream.throttled',
    countsAgainstCarrier: true,
  },
  ERR_TRACKING_NOT_FOUND: {
    status: 404,
    title: 'The carrier knows no such tracking number',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_TRACKING_UNAVAILABLE: {
    status: 503,
    title: 'Tracking could not be read from the carrier now',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_TRACKING_NOT_SUPPORTED: {
    status: 422,
    title: 'The account cannot track through the gateway',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OVERRIDE_CONFLICT: {
    status: 409,
    title: 'Override contradicts the accounts it names',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_OVERRIDE_VERSION_CONFLICT: {
    status: 412,
    title: 'Override changed since the version given',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_ACTION_NOT_APPLICABLE: {
    status: 409,
    title: 'Action does not apply to this account',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_CONFIG_RELOAD_REJECTED: {
    status: 422,
    title: 'New configuration refused; nothing changed',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHUTTING_DOWN: {
    status: 503,
    title: 'Instance is shutting down; send it again',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  // Issue 12 (hardening): a client's own bad input, never the carrier's failure.
  ERR_REQUEST_STREAM_INVALID: {
    status: 400,
    title: 'Request body could not be read',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_HEADERS_TOO_LARGE: {
    status: 431,
    title: 'Request headers too large',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request body stalled',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_CLIENT_CONCURRENCY: {
    status: 429,
    title: 'Too many concurrent calls to this carrier',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_MISDIRECTED_REQUEST: {
    status: 421,
    title: 'Request target names another host',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_SHIPMENT_NOT_SUPPORTED: {
    status: 422,
    title: 'No account of the client can carry this shipment',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_QUERY_INVALID: {
    status: 400,
    title: 'Query parameter is invalid',
    failureClass: null,
    countsAgainstCarrier: false,
  },
  ERR_INTERNAL: {
    status: 500,
    title: 'Internal error',
    failureClass: 'gateway.internal',
    countsAgainstCarrier: false,
  },
} as const satisfies Record<string, CatalogueEntry>;

export type GatewayErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as GatewayErrorCode[];

/** Whether a failure with this code is the carrier's doing (see `CatalogueEntry`). */
export function countsAgainstCarrier(code: GatewayErrorCode): boolean {
  return ERROR_CATALOGUE[code].countsAgainstCarrier;
}

export interface GatewayErrorOptions {
  cause?: unknown;
  /** Carrier account the failure belongs to. */
  account?: string;
  /** The carrier's own error code, kept as a field, never as our message. */
  carrierCode?: string;
  /** HTTP status the carrier answered with, when there was an answer. */
  upstreamStatus?: number;
  /** Milliseconds after which a retry makes sense (Retry-After, cooldown). */
  retryAfterMs?: number;
  /** Extra, non-secret detail for operators (field paths, variable names). */
  detail?: string;
  /** Further problem members (RFC 9457 3.2 extensions): never secrets, never a carrier's message. */
  extensions?: Readonly<Record<string, unknown>>;
}

/**
 * Base of every gateway failure. `detail` must never contain a secret or token: callers pass
 * names and codes, not values. The carrier's raw body, when kept, is non-enumerable so it stays
 * out of JSON and log serialisation (oauth4webapi `ResponseBodyError` does the same).
 */
export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly account?: string;
  readonly carrierCode?: string;
  readonly upstreamStatus?: number;
  readonly retryAfterMs?: number;
  readonly detail?: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
  declare readonly upstreamBody?: unknown;

  constructor(code: GatewayErrorCode, message?: string, options: GatewayErrorOptions = {}) {
    super(
      message ?? ERROR_CATALOGUE[code].title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    if (options.account !== undefined) this.account = options.account;
    if (options.carrierCode !== undefined) this.carrierCode = options.carrierCode;
    if (options.upstreamStatus !== undefined) this.upstreamStatus = options.upstreamStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.extensions !== undefined) this.extensions = options.extensions;
  }

  /** Attach the carrier's body for debugging without letting it reach logs or clients. */
  withUpstreamBody(body: unknown): this {
    Object.defineProperty(this, 'upstreamBody', { value: body, enumerable: false });
    return this;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** RFC 9457 problem details with our stable `code` member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: GatewayErrorCode;
  detail?: string;
  account?: string;
  carrierCode?: string;
  upstreamStatus?: number;
  retryAfterSeconds?: number;
  [extension: string]: unknown;
}

/**
 * Where each code is explained: its section of the error reference the gateway serves itself
 * (src/http/routes/getDocs.ts), a URI reference resolved against the gateway's own URL (RFC 9457 3.1.1).
 */
export const PROBLEM_TYPE_BASE = '/docs/errors#';

/** Renders any thrown value as a problem; unknown errors become ERR_INTERNAL without their message. */
export function toProblem(error: unknown): Problem {
  const known = isGatewayError(error) ? error : new GatewayError('ERR_INTERNAL');
  const problem: Problem = {
    type: PROBLEM_TYPE_BASE + known.code,
    title: ERROR_CATALOGUE[known.code].title,
    status: known.status,
    code: known.code,
  };
  if (known.detail !== undefined) problem.detail = known.detail;
  if (known.account !== undefined) problem.account = known.account;
  if (known.carrierCode !== undefined) problem.carrierCode = known.carrierCode;
  if (known.upstreamStatus !== undefined) problem.upstreamStatus = known.upstreamStatus;
  if (known.retryAfterMs !== undefined) problem.retryAfterSeconds = Math.ceil(known.retryAfterMs / 1000);
  // Extensions add members; they never replace the standard ones.
  for (const [name, value] of Object.entries(known.extensions ?? {})) {
    if (!(name in problem)) problem[name] = value;
  }
  return problem;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
