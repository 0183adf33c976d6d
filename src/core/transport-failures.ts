/**
 * @module core/transport-failures
 * What a failure below HTTP says about a request's fate, read from the error codes Node and
 * undici report. It is the fact failover and token retries rest on:
 * - not sent: no connection was made, or TLS refused it before a byte of the request went out
 *   (no such host, refused, unreachable, connect timeout, a certificate that fails verification),
 *   so the carrier cannot have acted on it;
 * - lost: the request went out and no complete answer came back (timeout, reset), so the
 *   carrier may have acted on it.
 */

export type TransportFate =
  | { sent: false; code: string; reason: 'dns' | 'connect' | 'tls' }
  | { sent: true; code: string; timedOut: boolean };

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** OpenSSL verify codes as Node reports them (src/crypto/crypto_common.cc) that name no CERT/TLS/SSL. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CRL_SIGNATURE_FAILURE',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The first `code` on the error or its causes (undici wraps socket errors). */
export function errorCode(error: unknown): string {
  let current = error as { code?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; current && depth < 4; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as typeof current;
  }
  return '';
}

/** `timedOut`: the caller's own deadline fired (an abort signal). */
export function transportFate(error: unknown, timedOut = false): TransportFate {
  const code = errorCode(error);
  if (DNS_CODES.has(code)) return { sent: false, code, reason: 'dns' };
  if (CONNECT_CODES.has(code)) return { sent: false, code, reason: 'connect' };
  if (TLS_VERIFY_CODES.has(code) || /CERT|TLS|SSL/.test(code)) return { sent: false, code, reason: 'tls' };
  return { sent: true, code, timedOut: timedOut || TIMEOUT_CODES.has(code) };
}
