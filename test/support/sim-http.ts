/**
 * @module test/support/sim-http
 * HTTP helpers shared by the simulator tests: small fetch wrappers, connection-error probes, and
 * an access token straight from a simulator's token endpoint.
 */
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
 * fetch, with a multipart answer split into its parts on the boundary its Content-Type names
 * (RFC 2046 §5.1), byte for byte. An answer that is not multipart has no parts.
 */
export async function callMultipart(url: string, init: RequestInit = {}): Promise<MultipartAnswer> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const bytes = Buffer.from(await response.arrayBuffer());
  const parts = new Map<string, { type: string; bytes: Buffer }>();
  const boundary = /boundary="?([^";]+)"?/.exec(response.headers.get('content-type') ?? '')?.[1];
  if (boundary !== undefined) {
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
  }
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
