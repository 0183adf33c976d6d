/**
 * @module test/support/sim-http
 * HTTP helpers shared by the simulator tests: small fetch wrappers, connection-error probes, and
 * an access token straight from a simulator's token endpoint.
 */
import { afterEach, beforeEach } from 'vitest';

import { manualClock, type ManualClock } from '../../src/sim/index.js';
import { registerSecrets } from './log-capture.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** fetch, with the body read as JSON when it is JSON. Redirects are returned, not followed. */
export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let body: unknown = text;
  // The media type, not its parameters (a multipart answer may name a JSON part in `start`).
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!;
  if (mediaType.includes('json')) body = JSON.parse(text) as unknown;
  return { status: response.status, headers: response.headers, body };
}

export interface MultipartAnswer {
  status: number;
  headers: Headers;
  /** Each part's Content-Type and bytes, by Content-ID (without the angle brackets). */
  parts: Map<string, { type: string; bytes: Buffer }>;
}

/**
 * A multipart body split into its parts on the boundary its Content-Type names (RFC 2046 §5.1),
 * byte for byte, by Content-ID (without the angle brackets). A body that is not multipart has no parts.
 */
export function multipartParts(contentType: string, bytes: Buffer): MultipartAnswer['parts'] {
  const parts: MultipartAnswer['parts'] = new Map();
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (boundary === undefined) return parts;
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter has no CRLF before it: prepend one so every part is found alike.
  let rest = Buffer.concat([Buffer.from('\r\n', 'latin1'), bytes]);
  for (let at = rest.indexOf(delimiter); at !== -1; at = rest.indexOf(delimiter)) {
    rest = rest.subarray(at + delimiter.length);
    if (rest.subarray(0, 2).toString('latin1') === '--') break;
    const headEnd = rest.indexOf('\r\n\r\n');
    const next = rest.indexOf(delimiter);
    const head = rest.subarray(0, headEnd).toString('latin1');
    const id = /content-id:\s*<([^>]+)>/i.exec(head)?.[1] ?? `part${parts.size}`;
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
    parts.set(id, { type, bytes: rest.subarray(headEnd + 4, next === -1 ? rest.length : next) });
    rest = rest.subarray(next === -1 ? rest.length : next);
  }
  return parts;
}

/** fetch, with a multipart answer split into its parts (`multipartParts`). */
export async function callMultipart(url: string, init: RequestInit = {}): Promise<MultipartAnswer> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const bytes = Buffer.from(await response.arrayBuffer());
  const parts = multipartParts(response.headers.get('content-type') ?? '', bytes);
  return { status: response.status, headers: response.headers, parts };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** A plain request init whose `headers` can be spread into another. */
export interface PlainInit {
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A token request's fields with the client's id and secret in the body (client_credentials unless `fields` say otherwise). */
export function clientFields(
  client: { clientId: string; clientSecret: string },
  fields: Record<string, string> = {},
): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    ...fields,
  };
}

export function form(fields: Record<string, string>, headers: Record<string, string> = {}): PlainInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

export function postJson(body: unknown, headers: Record<string, string> = {}): PlainInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The fields of a form-encoded body, as a plain object. */
export const formFields = (body: string) => Object.fromEntries(new URLSearchParams(body));

/** The errno-style code behind a failed fetch (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET…). */
export async function connectionError(url: string, init: RequestInit = {}): Promise<string> {
  try {
    await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
  throw new Error(`expected ${url} to fail at the connection level`);
}

/** Decode a JWT payload without verifying it (what a gateway might do to read `exp`). */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The access token a simulator's token endpoint issues for this request, registered with the log scan. */
export async function accessToken(tokenUrl: string, init: PlainInit): Promise<string> {
  const reply = await fetch(tokenUrl, init);
  const token = ((await reply.json()) as { access_token: string }).access_token;
  registerSecrets(token);
  return token;
}

/**
 * For a describe block: a fresh simulator for each test (started before it, closed after it) on
 * a hand-driven clock set to the real time before each test. `sim` stands for the current test's
 * simulator (every property read goes to it), so tests use it as they would the handle itself.
 */
export function simulatorPerTest<S extends { close(): Promise<void> }>(
  start: (clock: ManualClock) => Promise<S>,
): { sim: S; clock: ManualClock } {
  const clock = manualClock();
  let current: S | undefined;
  beforeEach(async () => {
    clock.set(Date.now());
    current = await start(clock);
  });
  afterEach(() => current?.close());
  const sim = new Proxy({} as S, {
    get(_target, key) {
      if (current === undefined) throw new Error('the simulator runs only inside a test');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
  return { sim, clock };
}
