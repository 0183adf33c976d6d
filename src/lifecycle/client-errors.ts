/**
 * @module lifecycle/client-errors
 * What the server answers when node:http itself refuses a request (its `clientError` event): a
 * framing the parser rejects (`Transfer-Encoding: gzip` without chunked, a broken chunk), headers
 * past the limit, a request that took longer than `headersTimeout`/`requestTimeout`. Node's own
 * answer is a bare `400 Bad Request`; this one is the gateway's problem+json with a stable code,
 * `Connection: close` (the rest of the stream cannot be trusted), and a debug line rather than an
 * error: the client's fault, never the gateway's (issue 12, point 5).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { GatewayError, PROBLEM_CONTENT_TYPE, toProblem, type GatewayErrorCode } from '../core/errors.js';
import type { Logger } from '../platform/log.js';

/** The parser's and the server's codes → the catalogue's. */
function codeOf(error: NodeJS.ErrnoException): GatewayErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'ERR_HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'ERR_REQUEST_TIMEOUT';
  return 'ERR_REQUEST_STREAM_INVALID';
}

/** The answer bytes for a refused request, on a connection closed after it. */
export function clientErrorAnswer(error: NodeJS.ErrnoException): string {
  const problem = toProblem(
    new GatewayError(codeOf(error), undefined, {
      detail: 'the request could not be read as HTTP/1.1 (framing, header size or time limit)',
    }),
  );
  const body = JSON.stringify(problem);
  return (
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The server's `clientError` listener. */
export function answerClientError(log: Logger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    log.debug({ code: error.code }, 'request refused by the HTTP parser');
    // An answer already under way cannot be followed by another one on the same bytes.
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent === true) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorAnswer(error));
  };
}
