/**
 * @module cli/client
 * The admin API as the command line calls it: one JSON request with the admin key, and the ways
 * it fails turned into one message each. A gateway problem (RFC 9457 with our `code`,
 * src/core/errors.ts) becomes `<code>: <detail>`; a gateway that cannot be reached is named by its URL.
 * The key goes only into the Authorization header, never into a message.
 */
import { UsageError } from './args.js';

/** The gateway answered with an error, or could not be reached: exit status 1. */
export class GatewayCallError extends Error {
  constructor(
    message: string,
    /** The gateway's error code, when it answered with one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'GatewayCallError';
  }
}

/** Long enough for a probe that walks every step against a slow carrier, or a fleet-wide reload. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The gateway's URL without any user:password part, for messages. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

export function gatewayUrl(option: string | undefined, env: NodeJS.ProcessEnv, fallback: string): URL {
  const given =
    option ?? (env.GATEWAY_URL !== undefined && env.GATEWAY_URL !== '' ? env.GATEWAY_URL : fallback);
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(
      `${option !== undefined ? '--url' : 'GATEWAY_URL'}: not a URL`,
      undefined,
      option !== undefined,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `${option !== undefined ? '--url' : 'GATEWAY_URL'}: expected an http or https URL`,
      undefined,
      option !== undefined,
    );
  }
  return url;
}

export function adminKey(env: NodeJS.ProcessEnv): string {
  const key = env.GATEWAY_ADMIN_KEY;
  if (key === undefined || key.trim() === '') {
    throw new UsageError(
      'GATEWAY_ADMIN_KEY is not set: admin commands read the admin key from the environment only',
      undefined,
      false,
    );
  }
  // fetch refuses such a header, and some runtimes quote the value in the error.
  if (!/^[\x21-\x7e]+$/.test(key.trim())) {
    throw new UsageError('GATEWAY_ADMIN_KEY holds characters an HTTP header cannot carry', undefined, false);
  }
  return key.trim();
}

interface ProblemBody {
  code?: unknown;
  title?: unknown;
  detail?: unknown;
}

export class AdminClient {
  constructor(
    private readonly base: URL,
    private readonly key: string,
  ) {}

  /** The JSON answer of a 2xx; anything else throws a GatewayCallError. */
  async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<unknown> {
    // Keeps a base path (a gateway behind a prefix): `new URL('/v1/...', base)` would drop it.
    const url = new URL(this.base.href.replace(/\/+$/, '') + path);
    const where = displayUrl(this.base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          accept: 'application/json, application/problem+json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw new GatewayCallError(`cannot reach the gateway at ${where}: ${reasonOf(error)}`);
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) {
        throw new GatewayCallError(
          `${where} answered ${response.status} without JSON: is it a carrier gateway?`,
        );
      }
      return parsed;
    }
    const problem = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ProblemBody;
    if (typeof problem.code === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : problem.title;
      throw new GatewayCallError(
        `${problem.code}: ${typeof detail === 'string' ? detail : response.status}`,
        problem.code,
      );
    }
    throw new GatewayCallError(`${where} answered HTTP ${response.status} ${response.statusText}`.trim());
  }
}

/** Node's fetch hides the socket error in `cause` (undici: TypeError "fetch failed"). */
function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string')
    return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  // The Fetch standard's port blocklist (fetch.spec.whatwg.org, "bad port"), e.g. 1, 9, 6000.
  if (cause?.message === 'bad port') return 'fetch refuses this port (a reserved one)';
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
