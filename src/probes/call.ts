/**
 * @module health/probe-call
 * The probe's protected call: the carrier's cheap endpoint (descriptor `probe`) with the
 * account's credential, sent on a connection of its own so the TLS certificate it was served can
 * be read, and the answer classified with the failure taxonomy (the carrier's own codes first,
 * its `api.errorClasses`). Request building is pure and exported for the contract tests.
 */
import type { PeerCertificate } from 'node:tls';

import { Client, type Dispatcher } from 'undici';

import type { CarrierDescriptorData } from '../core/carrier.js';
import type { ConfiguredAccount } from '../core/account.js';
import { parseJson } from '../core/json.js';
import { classifyTransportFailure } from '../auth/classify.js';
import { readCarrierError } from '../auth/error-bodies.js';
import { certificateConnector, type ProbeCa } from './tls.js';
import { classifyApiAnswer, classifyError, type FailureClass } from '../core/failures.js';

export type ProbeData = NonNullable<CarrierDescriptorData['probe']>;

export interface ProbeRequest {
  url: URL;
  method: ProbeData['method'];
  headers: Record<string, string>;
  body?: string;
}

/** The request as the carrier gets it: base path + probe path, the credential, the carrier's header hook. */
export function buildProbeRequest(
  account: ConfiguredAccount,
  probe: ProbeData,
  credential: string,
): ProbeRequest {
  const base = account.api.baseUrl;
  const path = base.pathname.replace(/\/$/, '') + probe.path;
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(probe.headers ?? {})) headers[name.toLowerCase()] = value;
  if (account.kind === 'static') headers[account.staticCredential.header] = credential;
  else headers.authorization = `Bearer ${credential}`;
  account.descriptor.decorateApiRequest?.({ method: probe.method, path, headers });
  const request: ProbeRequest = { url: new URL(path, base.origin), method: probe.method, headers };
  if (probe.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    request.body = JSON.stringify(probe.body);
  }
  return request;
}

export interface ProbeAnswer {
  status: number;
  body: unknown;
  /** The peer certificate of the connection, for https hosts. */
  certificate?: PeerCertificate;
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

/** Sends on a fresh connection (closed afterwards): each probe meets the host's current certificate. */
export async function sendProbe(
  accountId: string,
  request: ProbeRequest,
  options: { timeoutMs: number; ca?: ProbeCa },
): Promise<ProbeAnswer> {
  let certificate: PeerCertificate | undefined;
  const client = new Client(request.url.origin, {
    connect: certificateConnector(options.ca, (_host, seen) => (certificate = seen)),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await client.request({
      path: request.url.pathname + request.url.search,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body ?? null,
      signal,
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      body: parseJson(text),
      ...(certificate !== undefined ? { certificate } : {}),
    };
  } catch (cause) {
    const { error } = classifyTransportFailure(accountId, cause, signal.aborted);
    // The token-endpoint codes carry the transport detail (dns:, connect:, tls:); the API call's
    // own codes give the class: a timeout is the carrier's, a refused connection is transport.
    const failureClass =
      error.code === 'ERR_TOKEN_ENDPOINT_TIMEOUT'
        ? classifyError('ERR_CARRIER_TIMEOUT')
        : classifyError('ERR_CARRIER_UNREACHABLE', error.detail);
    throw new ProbeStepError(failureClass, error.detail ?? 'no answer');
  } finally {
    await client.destroy().catch(() => undefined);
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
  answer: Pick<ProbeAnswer, 'status' | 'body'>,
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
