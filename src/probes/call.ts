/**
 * @module probes/call
 * The probe's protected call as data: the carrier's cheap endpoint (descriptor `probe`) as an
 * API call for the one carrier path (src/upstream/carrier-api.ts), and how its answer is
 * classified with the failure taxonomy (the carrier's own codes first, its `api.errorClasses`).
 * Both are pure; `buildProbeRequest` shows the request as the carrier gets it, for the contract tests.
 */
import type { ConfiguredAccount } from '../core/account.js';
import type { CarrierDescriptorData } from '../core/carrier.js';
import { classifyApiAnswer } from '../core/failures.js';
import { type FailureClass } from '../core/failure-classes.js';
import { readCarrierError } from '../auth/error-bodies.js';
import type { ApiCall } from '../upstream/carrier-api.js';
import { withCredential } from '../upstream/credentials.js';

export type ProbeData = NonNullable<CarrierDescriptorData['probe']>;

export interface ProbeRequest {
  url: URL;
  method: ProbeData['method'];
  headers: Record<string, string>;
  body?: string;
}

/** The probe as a call under the account's API base. */
export function probeCall(probe: ProbeData): ApiCall {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(probe.headers ?? {})) headers[name.toLowerCase()] = value;
  if (probe.body === undefined) return { method: probe.method, path: probe.path, headers, body: null };
  headers['content-type'] ??= 'application/json';
  return { method: probe.method, path: probe.path, headers, body: JSON.stringify(probe.body) };
}

/** The request as the carrier gets it: base path + probe path, the credential, the carrier's header hook. */
export function buildProbeRequest(
  account: ConfiguredAccount,
  probe: ProbeData,
  credential: string,
): ProbeRequest {
  const call = probeCall(probe);
  const path = account.api.baseUrl.pathname.replace(/\/$/, '') + call.path;
  const headers = withCredential(account, credential, call.method, path, call.headers) as Record<
    string,
    string
  >;
  const request: ProbeRequest = {
    url: new URL(path, account.api.baseUrl.origin),
    method: probe.method,
    headers,
  };
  if (typeof call.body === 'string') request.body = call.body;
  return request;
}

/** A probe step that failed for a reason the taxonomy already names (no GatewayError behind it). */
export class ProbeStepError extends Error {
  constructor(
    readonly failureClass: FailureClass,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** What the token that was sent looked like, for telling premature expiry from expiry. */
export interface SentToken {
  obtainedAt: number;
  expiresAt: number;
}

/** The answer's class: null when the status is one the probe counts as success. */
export function classifyProbeAnswer(
  account: ConfiguredAccount,
  probe: ProbeData,
  answer: { status: number; body: unknown },
  token: SentToken | undefined,
  now: number,
): { failureClass: FailureClass; carrierCode?: string } | null {
  if (probe.okStatuses.includes(answer.status)) return null;
  const api = account.descriptor.data.api;
  // The token-endpoint readers know three body shapes; a carrier with a label adapter also knows
  // its API's own (USPS `error.code`, Colissimo `messages[].id`, DHL `status`...).
  const carrierCode =
    readCarrierError(api.errorBodyShape, answer.body)?.code ??
    account.descriptor.shipping?.errorCode(
      answer.status,
      typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null),
    );
  const failureClass =
    classifyApiAnswer({
      status: answer.status,
      ...(carrierCode !== undefined ? { carrierCode } : {}),
      ...(api.errorClasses !== undefined ? { carrierClasses: api.errorClasses } : {}),
      tokenRejectedStatuses: account.api.tokenRejectedStatuses,
      ...(token !== undefined
        ? { tokenAgeMs: now - token.obtainedAt, tokenLifetimeMs: token.expiresAt - token.obtainedAt }
        : {}),
    }) ??
    // A 2xx or 3xx the probe does not expect (a redirect to a login page, say).
    'downstream.client_error';
  return carrierCode !== undefined ? { failureClass, carrierCode } : { failureClass };
}
