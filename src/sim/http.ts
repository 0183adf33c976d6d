/**
 * @module sim/http
 * The small request/response model the simulators answer with, and the wire helpers they share:
 * body reading, form/JSON parsing, HTTP Basic and Bearer header parsing.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** A fully read request. Header names are lower-case (node:http). */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings (UTF-8) and Buffers (bytes) as they are. */
  body?: unknown;
}

/** Bodies above this are answered 413 before any carrier logic runs; real payloads here are tiny. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SimResponse {
  return headers ? { status, body, headers } : { status, body };
}

/** Form body as sent by OAuth clients (RFC 6749 appendix B); parsed whatever the content type says. */
export function formOf(req: SimRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}

/** JSON body, or `undefined` when it is absent or not JSON. */
export function jsonOf(req: SimRequest): unknown {
  if (req.body.trim() === '') return undefined;
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    return undefined;
  }
}

export function isFormContentType(req: SimRequest): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

export function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * `Authorization: Basic` credentials. `undefined` when there is no Basic header; `null` when there
 * is one but it is malformed. With `formUrlDecode`, both halves are form-url-decoded as RFC 6749
 * section 2.3.1 requires for client credentials (most carriers skip that step).
 */
export function basicCredentials(
  req: SimRequest,
  formUrlDecode = false,
): BasicCredentials | null | undefined {
  const value = header(req, 'authorization');
  if (value === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!match?.[1]) return /^Basic\b/i.test(value) ? null : undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const raw = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  if (!formUrlDecode) return raw;
  try {
    return {
      username: decodeURIComponent(raw.username.replace(/\+/g, ' ')),
      password: decodeURIComponent(raw.password.replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 section 2.1), if any. */
export function bearerToken(req: SimRequest): string | undefined {
  const value = header(req, 'authorization');
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}
