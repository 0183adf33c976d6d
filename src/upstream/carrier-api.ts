/**
 * @module upstream/carrier-api
 * The one path to every carrier API. Every caller (the pass-through, shipments, and what comes
 * after them) sends through `CarrierApi`, so the rules are written once:
 * 1. the call's credential (src/upstream/credentials.ts);
 * 2. the request on the origin's pool, with the account's timeout (src/upstream/transport.ts);
 * 3. a refused credential (src/upstream/rejection.ts) is renewed and the call sent once more,
 *    when the caller says a resend is safe;
 * 4. the final answer, or the failure, is classified into the account's health
 *    (src/upstream/observe.ts).
 * Two ways to take the answer: `request` reads it into memory (labels, and anything the gateway
 * interprets), `pipe` streams it into the client's response (the pass-through's hot path,
 * where nothing is buffered and a held-back rejection is discarded).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { Writable as WritableStream } from 'node:stream';

import type { TokenEngine } from '../auth/token-engine.js';
import type { StoredToken } from '../auth/token-store.js';
import type { ConfiguredAccount } from '../core/account.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { EventSource } from '../health/history.js';
import type { Logger } from '../platform/log.js';
import {
  endSpan,
  inSpan,
  startSpan,
  traceparentFor,
  tracingEnabled,
  type TraceParent,
} from '../platform/tracing.js';
import type { Span } from '@opentelemetry/api';
import { CallCredential, type OutgoingHeaders } from './credentials.js';
import type { UpstreamObserver } from './observe.js';
import type { ProbeCa } from './tls.js';
import { RejectionPolicy, rejectionOf, type Rejection, type RetryPermission } from './rejection.js';
import {
  transportError,
  transportFailure,
  type CarrierTransport,
  type TransportFailure,
  type WireRequest,
} from './transport.js';

export interface ApiCall {
  method: string;
  /** Path and query under the account's API base, with a leading slash. */
  path: string;
  /** The caller's headers; the credential is added to this object. */
  headers: OutgoingHeaders;
  body: Readable | Buffer | string | null;
}

/**
 * The client request a call is made for (src/http/request-trace.ts): its W3C Trace Context goes
 * to the carrier as `traceparent` (replacing any the client sent: the carrier's parent is the
 * gateway), and the time waited for the carrier is added to it for the access log.
 */
export interface CallTrace extends TraceParent {
  /**
   * Milliseconds during which at least one carrier call of the request was out: calls one after
   * the other add up, calls side by side (a rates fan-out, a tracking batch) count once, so it is
   * never more than the request's own duration. Updated as each call ends (`carrierWait`).
   */
  carrierMs: number;
  /** Calls out now, and since when one has been (performance.now()). */
  carrierCallsOut?: number;
  carrierOutSince?: number;
}

const NOTHING_OUT = () => undefined;

/**
 * Marks one carrier call out on the request's trace; the function returned ends it (a second
 * call does nothing). The time is added when the last call out ends.
 */
export function carrierWait(trace: CallTrace | undefined): () => void {
  if (trace === undefined) return NOTHING_OUT;
  const out = trace.carrierCallsOut ?? 0;
  if (out === 0) trace.carrierOutSince = performance.now();
  trace.carrierCallsOut = out + 1;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    trace.carrierCallsOut = (trace.carrierCallsOut ?? 1) - 1;
    if (trace.carrierCallsOut === 0) trace.carrierMs += performance.now() - (trace.carrierOutSince ?? 0);
  };
}

/** The trace's carrier time so far, calls still out counted up to now. */
export function carrierMsOf(trace: CallTrace): number {
  return (
    trace.carrierMs +
    ((trace.carrierCallsOut ?? 0) > 0 ? performance.now() - (trace.carrierOutSince ?? 0) : 0)
  );
}

export interface CallOptions {
  /** Which part of the gateway made the call, for the health history. */
  source: EventSource;
  /** Which refusals may be answered by renewing the credential and sending once more. */
  retry: RetryPermission;
  /** Whether the client's own request carries this header (see `CallCredential.obtain`). */
  clientSends?: (header: string) => boolean;
  /**
   * The client's own request stream broke while it was being sent: its error, thrown instead of
   * a carrier failure and kept out of the carrier's health (issue 12, point 5).
   */
  clientFault?: () => GatewayError | undefined;
  trace?: CallTrace;
}

export interface RequestOptions extends CallOptions {
  /**
   * Runs once, with the credential in hand and before the first byte goes out; a throw stops
   * the call (shipments pin their idempotency record to the account here).
   */
  beforeSend?: () => Promise<void>;
  /** The carrier's own error code in an error answer's body (never its message). */
  carrierCode?: (status: number, body: string) => string | undefined;
  /** How the answer's bytes become a string; `latin1` keeps every byte of a binary part. */
  encoding?: BufferEncoding;
  /** Send this token instead of the engine's (a probe's freshly issued one); never renewed. */
  credential?: StoredToken;
  /** A connection of its own, closed after, whose TLS certificate the answer reports (probes). */
  freshConnection?: { ca?: ProbeCa };
  /** False: the caller records the outcome itself (probes), so the health history counts it once. */
  observe?: boolean;
  /**
   * The caller's own deadline (rates): aborting ends the exchange as `lost`, timed out. Such an
   * end is the caller giving up, not the carrier failing, so it is not recorded in health.
   */
  signal?: AbortSignal;
}

export type ApiResult =
  | {
      kind: 'answered';
      status: number;
      headers: IncomingHttpHeaders;
      body: string;
      carrierCode?: string;
      /** The final answer still refuses a credential. */
      rejected: Rejection | null;
      /** The credential was renewed after a refusal and the call sent again. */
      renewed: boolean;
      /** The host's TLS certificate, on a fresh connection to an https origin. */
      certificate?: PeerCertificate;
    }
  | TransportFailure
  | {
      kind: 'no_credential';
      error: GatewayError;
      /** The credential was refused and its renewal failed: the refusal, for the caller's account of it. */
      refused?: { status: number; rejection: Rejection };
    };

/** Where a streamed answer goes, chosen once its status and headers are known. */
export type AnswerSink = (status: number, headers: IncomingHttpHeaders) => Writable;

/** A body held in memory for a replay is bounded; label requests are a few kilobytes. */
export const REPLAY_BODY_LIMIT_BYTES = 1024 * 1024;

async function readBody(body: Readable, account: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > REPLAY_BODY_LIMIT_BYTES) {
      throw new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
        account,
        detail: `a request that may be replayed is held in memory, up to ${REPLAY_BODY_LIMIT_BYTES} bytes`,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface CarrierApiOptions {
  engine: TokenEngine;
  transport: CarrierTransport;
  observer: UpstreamObserver;
  log: Logger;
  /** When a refusal may renew a token (token churn); defaults, in memory, when absent. */
  rejections?: RejectionPolicy;
}

/**
 * What a refusal leads to on this call: `resend` renews (or takes the replacement) and sends
 * again, budget permitting; `drop` renews in the background for the next call, budget
 * permitting; `own` is the request's own failure (a young token refused); `none` leaves all be.
 */
type RefusalPlan =
  { kind: 'resend'; replaced: boolean } | { kind: 'drop' } | { kind: 'own' } | { kind: 'none' };

/** A refused answer held back while the renewal is decided; replayed to the client when it is not. */
interface HeldAnswer {
  rejection: Rejection;
  replaced: boolean;
  status: number;
  headers: IncomingHttpHeaders;
  chunks: Buffer[];
  size: number;
}

/** A refusal's body is a short error document; beyond this it is not kept for a replay. */
const HELD_ANSWER_LIMIT_BYTES = 64 * 1024;

const holdInto = (held: HeldAnswer) =>
  new WritableStream({
    write(chunk: Buffer, _encoding, callback) {
      held.size += chunk.length;
      if (held.size <= HELD_ANSWER_LIMIT_BYTES) held.chunks.push(chunk);
      callback();
    },
  });

/** The plan of an answer that was not a refusal (or not one to act on): one object for every call. */
const NO_REFUSAL: RefusalPlan = { kind: 'none' };

const pathOf = (pathAndQuery: string) => {
  const queryAt = pathAndQuery.indexOf('?');
  return queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
};

export class CarrierApi {
  readonly #rejections: RejectionPolicy;

  constructor(private readonly options: CarrierApiOptions) {
    this.#rejections = options.rejections ?? new RejectionPolicy();
  }

  /** Decides, without I/O, what a refusal on a first send leads to (see RejectionPolicy). */
  #plan(
    account: ConfiguredAccount,
    credential: CallCredential,
    rejection: Rejection,
    path: string,
    retry: RetryPermission,
  ): RefusalPlan {
    if (!credential.renewable) return { kind: 'drop' };
    const verdict =
      rejection === 'dependent'
        ? 'stale'
        : this.#rejections.judge(account.id, credential.token, credential.held(), path);
    if (verdict === 'young') return { kind: 'own' };
    if (this.#mayRetry(credential, rejection, retry))
      return { kind: 'resend', replaced: verdict === 'replaced' };
    // A replaced token needs nothing: the next call takes the replacement.
    return verdict === 'replaced' ? NO_REFUSAL : { kind: 'drop' };
  }

  /** Whether a refusal may cost a token request now (the account's fleet-wide budget). */
  #permit(credential: CallCredential, rejection: Rejection): Promise<boolean> {
    return this.#rejections.permitRenewal(credential.storeId(rejection)).catch(() => false);
  }

  /** A refusal not retried on this call: the next call gets a fresh token, budget permitting. */
  #drop(credential: CallCredential, rejection: Rejection): void {
    if (!credential.renewable) {
      credential.dropInBackground(rejection);
      return;
    }
    void this.#permit(credential, rejection).then((permitted) => {
      if (permitted) credential.dropInBackground(rejection);
    });
  }

  #wire(account: ConfiguredAccount, call: ApiCall, body: ApiCall['body']): WireRequest {
    const base = account.api.baseUrl;
    return {
      origin: base.origin,
      // The base URL always ends with "/" (src/accounts/resolve.ts); the call's path starts with one.
      path: base.pathname.slice(0, -1) + call.path,
      method: call.method,
      headers: call.headers,
      body,
      timeoutMs: account.api.timeoutMs,
    };
  }

  /** The carrier call's span (undefined while tracing is off), in the client request's trace. */
  #callSpan(account: ConfiguredAccount, call: ApiCall, options: CallOptions): Span | undefined {
    // Tested first: with tracing off no attribute object is built on the hot path.
    if (!tracingEnabled()) return undefined;
    return startSpan(
      'carrier.call',
      {
        'carrier.account': account.id,
        carrier: account.carrier,
        'http.request.method': call.method,
        'gateway.source': options.source,
      },
      options.trace,
    );
  }

  /** A static key or a supplied token cannot be renewed by asking again: its refusal is final. */
  #mayRetry(credential: CallCredential, rejection: Rejection, retry: RetryPermission): boolean {
    if (!credential.renewable) return false;
    return rejection === 'dependent' ? retry.dependent : retry.token;
  }

  async #credential(
    account: ConfiguredAccount,
    call: ApiCall,
    options: CallOptions & { credential?: StoredToken },
  ): Promise<CallCredential> {
    if (options.credential !== undefined) return CallCredential.supplied(account, options.credential);
    const queryAt = call.path.indexOf('?');
    const path = queryAt === -1 ? call.path : call.path.slice(0, queryAt);
    const obtain = () => CallCredential.obtain(this.options.engine, account, path, options.clientSends);
    // Tested first: with tracing off the hot path takes no extra promise.
    return tracingEnabled()
      ? inSpan('token.wait', { 'carrier.account': account.id }, options.trace, obtain)
      : obtain();
  }

  /** A failure before or between sends (no token, a refresh that failed); recorded unless `source` is null. */
  #fail(account: ConfiguredAccount, source: EventSource | null, error: unknown): GatewayError {
    if (!isGatewayError(error)) {
      this.options.log.error(
        { account: account.id, err: { message: (error as Error)?.message } },
        'carrier call failed',
      );
      return new GatewayError('ERR_INTERNAL', undefined, { account: account.id, cause: error });
    }
    if (source !== null) this.options.observer.failure(account, source, error);
    return error;
  }

  /** Sends and reads the answer into memory. Never throws for the carrier's sake; `beforeSend`'s throw passes through. */
  async request(account: ConfiguredAccount, call: ApiCall, options: RequestOptions): Promise<ApiResult> {
    const observe = options.observe !== false;
    let credential: CallCredential;
    try {
      credential = await this.#credential(account, call, options);
    } catch (error) {
      return { kind: 'no_credential', error: this.#fail(account, observe ? options.source : null, error) };
    }
    await options.beforeSend?.();
    const { observer, transport } = this.options;
    let renewed = false;
    for (;;) {
      const wire = this.#wire(account, call, call.body);
      credential.apply(call.method, wire.path, call.headers);
      const span = this.#callSpan(account, call, options);
      if (options.trace !== undefined) call.headers.traceparent = traceparentFor(span, options.trace);
      const sentAt = performance.now();
      const waited = carrierWait(options.trace);
      const result =
        options.freshConnection !== undefined
          ? await transport.requestOnFreshConnection(wire, {
              ...options.freshConnection,
              ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
            })
          : await transport.request(wire, options.encoding, options.signal);
      waited();
      endSpan(span, result.kind !== 'answered' ? { code: result.kind } : undefined, {
        'http.response.status_code': result.kind === 'answered' ? result.status : 0,
      });
      if (result.kind !== 'answered') {
        if (observe && options.signal?.aborted !== true)
          observer.failure(account, options.source, transportError(account.id, result));
        return result;
      }
      const rejected = rejectionOf(
        account,
        result.status,
        result.headers['www-authenticate'],
        credential.dependentRule,
      );
      // A credential renewed for this call and refused at once is not dropped again: asking the
      // token endpoint a third time would not change the carrier's mind (token churn).
      const plan: RefusalPlan =
        rejected !== null && !renewed
          ? this.#plan(account, credential, rejected, pathOf(call.path), options.retry)
          : NO_REFUSAL;
      if (
        rejected !== null &&
        plan.kind === 'resend' &&
        (plan.replaced || (await this.#permit(credential, rejected)))
      ) {
        try {
          await credential.renew(rejected);
        } catch (error) {
          const failure = this.#fail(account, observe ? options.source : null, error);
          return {
            kind: 'no_credential',
            error: failure,
            refused: { status: result.status, rejection: rejected },
          };
        }
        renewed = true;
        continue;
      }
      if (rejected !== null && plan.kind === 'drop') this.#drop(credential, rejected);
      const carrierCode =
        result.status >= 400 ? options.carrierCode?.(result.status, result.body) : undefined;
      if (observe)
        observer.answer(account, options.source, {
          status: result.status,
          token: credential.token,
          latencyMs: performance.now() - sentAt,
          ...(carrierCode !== undefined ? { carrierCode } : {}),
          ...(renewed && rejected !== null ? { freshRejection: true } : {}),
          ...(plan.kind === 'own' ? { ownFailure: true } : {}),
        });
      return { ...result, ...(carrierCode !== undefined ? { carrierCode } : {}), rejected, renewed };
    }
  }

  /**
   * Sends and streams the answer into `sink`. A refusal that may be retried is held back (its
   * body discarded) and the call sent once more with the renewed credential; the client sees
   * only the final answer. Throws a GatewayError when no answer could be streamed.
   */
  async pipe(
    account: ConfiguredAccount,
    call: ApiCall,
    sink: AnswerSink,
    options: CallOptions,
  ): Promise<void> {
    const { observer } = this.options;
    let credential: CallCredential;
    let body = call.body;
    try {
      credential = await this.#credential(account, call, options);
      // The one replay needs the body again: hold it (label requests are small JSON documents).
      if (
        credential.dependentRule !== undefined &&
        options.retry.dependent &&
        body !== null &&
        !Buffer.isBuffer(body) &&
        typeof body !== 'string'
      )
        body = await readBody(body, account.id);
    } catch (error) {
      throw this.#fail(account, options.source, error);
    }
    let renewed = false;
    const path = pathOf(call.path);
    for (;;) {
      const wire = this.#wire(account, call, body);
      credential.apply(call.method, wire.path, call.headers);
      const span = this.#callSpan(account, call, options);
      if (options.trace !== undefined) call.headers.traceparent = traceparentFor(span, options.trace);
      const sentAt = performance.now();
      const waited = carrierWait(options.trace);
      let held: HeldAnswer | null = null;
      const observeAnswer = (status: number, rejected: Rejection | null, own: boolean) =>
        observer.answer(account, options.source, {
          status,
          token: credential.token,
          latencyMs: performance.now() - sentAt,
          ...(renewed && rejected !== null ? { freshRejection: true } : {}),
          ...(own ? { ownFailure: true } : {}),
        });
      try {
        await this.options.transport.stream(wire, ({ statusCode, headers }) => {
          waited();
          endSpan(span, undefined, { 'http.response.status_code': statusCode });
          const rejected = rejectionOf(
            account,
            statusCode,
            headers['www-authenticate'],
            credential.dependentRule,
          );
          const plan: RefusalPlan =
            rejected !== null && !renewed
              ? this.#plan(account, credential, rejected, path, options.retry)
              : NO_REFUSAL;
          if (rejected !== null && plan.kind === 'resend') {
            held = {
              rejection: rejected,
              replaced: plan.replaced,
              status: statusCode,
              headers,
              chunks: [],
              size: 0,
            };
            return holdInto(held);
          }
          if (rejected !== null && plan.kind === 'drop') this.#drop(credential, rejected);
          observeAnswer(statusCode, rejected, plan.kind === 'own');
          return sink(statusCode, headers);
        });
      } catch (cause) {
        waited();
        const fault = options.clientFault?.();
        if (fault !== undefined) throw fault;
        const error = isGatewayError(cause)
          ? cause
          : transportError(account.id, transportFailure(cause), cause);
        // A span ends once: this marks a failure before the headers (after them it was ended already).
        endSpan(span, error);
        observer.failure(account, options.source, error);
        throw error;
      }
      const answer = held as HeldAnswer | null;
      if (answer === null) return;
      if (!answer.replaced && !(await this.#permit(credential, answer.rejection))) {
        // The budget is spent: the refusal stands, and the client gets it as the carrier sent it.
        observeAnswer(answer.status, answer.rejection, false);
        const headers = { ...answer.headers };
        if (answer.size > HELD_ANSWER_LIMIT_BYTES) delete headers['content-length'];
        sink(answer.status, headers).end(Buffer.concat(answer.chunks));
        return;
      }
      try {
        await credential.renew(answer.rejection);
      } catch (error) {
        throw this.#fail(account, options.source, error);
      }
      renewed = true;
    }
  }
}
