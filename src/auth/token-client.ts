/**
 * @module auth/token-client
 * One HTTP exchange with a carrier's token endpoint: builds the request from the account's token
 * profile (grant, client authentication, body encoding), sends it with a timeout, and returns an
 * accepted token or throws a classified `GatewayError`. It does no retries and no caching; the
 * token manager decides those. Transport is a parameter so tests can swap it. The probes send
 * their fresh issuance and their RFC 7662 introspection through the same request and answer
 * steps, so what counts as a token endpoint failure is decided here once.
 */
import { request as undiciRequest, type Dispatcher } from 'undici';

import type { JwtExpectations, ResolvedAccount } from '../core/account.js';
import { GatewayError } from '../core/errors.js';
import { deadline } from '../platform/deadline.js';
import {
  classifyHttpFailure,
  classifyTransportFailure,
  parseRetryAfter,
  type GrantKind,
} from './classify.js';
import { checkJwt } from './jwt-checks.js';
import { parseJson } from '../core/json.js';
import { acceptTokenResponse, type AcceptedToken, type ResponseTiming } from './token-response.js';

/**
 * `code`: the authorization-code exchange of RFC 6749 4.1.3, with the PKCE `code_verifier` when
 * the authorization request carried a challenge (RFC 7636 4.5).
 */
export type CodeGrantInput = { kind: 'code'; code: string; redirectUri: string; codeVerifier?: string };

export type TokenGrantInput =
  { kind: 'initial' } | { kind: 'refresh'; refreshToken: string } | CodeGrantInput;

export interface TokenRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding, unless the carrier says otherwise. */
function basicAuthorization(
  clientId: string,
  clientSecret: string,
  encoding: 'form-urlencoded' | 'raw',
): string {
  const encode =
    encoding === 'raw'
      ? (value: string) => value
      : (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Builds the token request; exported so contract tests can check it against the carrier's spec. */
export function buildTokenRequest(
  account: ResolvedAccount,
  grant: TokenGrantInput,
  clientSecret: string | undefined = account.credentials.clientSecret,
): TokenRequest {
  const profile = account.token;
  const { clientId } = account.credentials;
  const fields: Record<string, string> = {};
  if (grant.kind === 'refresh') {
    fields.grant_type = 'refresh_token';
    fields.refresh_token = grant.refreshToken;
  } else if (grant.kind === 'code') {
    // RFC 6749 4.1.3: the redirect_uri is the one sent on the authorization request, unchanged.
    fields.grant_type = 'authorization_code';
    fields.code = grant.code;
    fields.redirect_uri = grant.redirectUri;
    if (grant.codeVerifier !== undefined) fields.code_verifier = grant.codeVerifier;
  } else {
    fields.grant_type = profile.grant;
    Object.assign(fields, profile.params);
  }
  const headers: Record<string, string> = { accept: 'application/json', ...profile.headers };
  if (grant.kind === 'code' && grant.codeVerifier !== undefined && account.authorization?.pkceClientIdOnly) {
    // UPS with PKCE: "the BASIC Authorization header should not be included, just the client_id
    // parameter in the body" (OAuthAuthCode.yaml; [UPS-AC] 1.3).
    fields.client_id = clientId;
  } else if (profile.clientAuthentication === 'client_secret_basic') {
    headers.authorization = basicAuthorization(clientId, clientSecret ?? '', profile.basicCredentialEncoding);
  } else {
    fields.client_id = clientId;
    if (profile.clientAuthentication === 'client_secret_post') fields.client_secret = clientSecret ?? '';
  }
  let body: string;
  if (profile.bodyEncoding === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(fields).toString();
  }
  return { url: grant.kind === 'refresh' ? profile.refreshUrl : profile.tokenUrl, headers, body };
}

export interface TokenExchangeFailure extends Error {
  /** The request may have reached the carrier (timeout or reset after sending). */
  maybeDelivered?: boolean;
}

/** Marks a failure whose request may have been processed by the carrier. */
export function isMaybeDelivered(error: unknown): boolean {
  return (error as TokenExchangeFailure | null)?.maybeDelivered === true;
}

export interface TokenClientOptions {
  dispatcher?: Dispatcher;
  now?: () => number;
  /** The secret to authenticate with when not `credentials.clientSecret` (secret rotation). */
  clientSecret?: string | undefined;
}

/** A 2xx answer of the authorization server, read but not yet judged. */
export interface TokenEndpointAnswer {
  status: number;
  body: unknown;
  timing: ResponseTiming;
}

/**
 * Sends one request to the account's authorization server (its token endpoint, or an endpoint
 * that authenticates the client the same way, such as RFC 7662 introspection) within the token
 * timeout. A transport failure or a non-2xx answer throws a classified `GatewayError`; a
 * transport failure says whether the request may have reached the carrier (`isMaybeDelivered`).
 */
export async function sendTokenRequest(
  account: ResolvedAccount,
  plan: TokenRequest,
  grantKind: GrantKind,
  options: Pick<TokenClientOptions, 'dispatcher' | 'now'> = {},
): Promise<TokenEndpointAnswer> {
  const now = options.now ?? Date.now;
  const limit = deadline(account.token.timeoutMs);
  const sentAt = now();
  let response: Dispatcher.ResponseData;
  let text: string;
  try {
    response = await undiciRequest(plan.url, {
      method: 'POST',
      headers: plan.headers,
      body: plan.body,
      signal: limit.signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    text = await response.body.text();
  } catch (cause) {
    const failure = classifyTransportFailure(account.id, cause, limit.signal.aborted);
    Object.defineProperty(failure.error, 'maybeDelivered', {
      value: failure.maybeDelivered,
      enumerable: false,
    });
    throw failure.error;
  } finally {
    limit.release();
  }
  const receivedAt = now();
  const body = parseJson(text);
  const status = response.statusCode;
  if (status < 200 || status >= 300) {
    const retryAfterHeader = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(
      Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
      receivedAt,
    );
    throw classifyHttpFailure(account.id, account.token, grantKind, {
      status,
      body,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const dateHeader = response.headers.date;
  return {
    status,
    body,
    timing: { sentAt, receivedAt, ...(typeof dateHeader === 'string' ? { dateHeader } : {}) },
  };
}

/** A code exchange is an initial grant for error classification: refresh-only meanings do not apply. */
const grantKindOf = (grant: TokenGrantInput): GrantKind => (grant.kind === 'refresh' ? 'refresh' : 'initial');

/** Builds the token request for `grant` and sends it (no retries). */
export function requestToken(
  account: ResolvedAccount,
  grant: TokenGrantInput,
  options: TokenClientOptions = {},
): Promise<TokenEndpointAnswer> {
  const plan = buildTokenRequest(
    account,
    grant,
    'clientSecret' in options ? options.clientSecret : account.credentials.clientSecret,
  );
  return sendTokenRequest(account, plan, grantKindOf(grant), options);
}

/** The answer as a token the engine accepts, its JWT not yet checked (the caller's next step). */
export function acceptTokenAnswer(
  account: ResolvedAccount,
  grantKind: GrantKind,
  answer: TokenEndpointAnswer,
): AcceptedToken {
  if (answer.body === undefined) {
    throw new GatewayError('ERR_TOKEN_MALFORMED_RESPONSE', undefined, {
      account: account.id,
      upstreamStatus: answer.status,
      detail: 'body is not JSON',
    });
  }
  return acceptTokenResponse(account, grantKind, answer.status, answer.body, answer.timing);
}

/**
 * The JWT expectations for this answer: a key the carrier sent along with the token (USPS
 * `public_key`) is used when none is configured. It proves the token was not corrupted or swapped
 * in transit; the server's authenticity rests on TLS, as it does for the key itself.
 */
export function jwtExpectations(account: ResolvedAccount, body: unknown): JwtExpectations {
  const field = account.token.publicKeyField;
  if (field === undefined || account.jwt.jwksUrl !== undefined || account.jwt.publicKey !== undefined)
    return account.jwt;
  const value = (body as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.length === 0) return account.jwt;
  const pem = value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  return { ...account.jwt, publicKey: pem };
}

/** One token exchange: the request, the answer accepted, and the JWT checked. */
export async function exchangeToken(
  account: ResolvedAccount,
  grant: TokenGrantInput,
  options: TokenClientOptions = {},
): Promise<AcceptedToken> {
  const answer = await requestToken(account, grant, options);
  const accepted = acceptTokenAnswer(account, grantKindOf(grant), answer);
  const { receivedAt } = answer.timing;
  const jwtExp = await checkJwt(
    account.id,
    accepted.token.accessToken,
    jwtExpectations(account, answer.body),
    receivedAt + (accepted.skewMs ?? 0),
  );
  if (jwtExp !== undefined) {
    // exp is on the carrier's clock.
    accepted.token.expiresAt = Math.min(accepted.token.expiresAt, jwtExp - (accepted.skewMs ?? 0));
  }
  return accepted;
}
