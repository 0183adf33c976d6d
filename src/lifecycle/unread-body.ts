/**
 * @module lifecycle/unread-body
 * An answer sent before the request's body arrived whole (a 413 for a body announced too large,
 * a 401 before an upload was read, a carrier answering mid-upload) leaves unread bytes on the
 * connection. Saying `keep-alive` and then dropping the socket, as node:http does once it gives
 * up draining them, makes a client resend on a dead connection; so such an answer says
 * `Connection: close`, and node closes the connection after it (issue 12, point 6).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Whether the request announces a body at all (RFC 9112 6.3). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!announcesBody(req)) return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // `complete`: the parser has seen the whole body (node sets it once the body was consumed
    // up to its end).
    if (!req.complete && !this.headersSent) this.setHeader('connection', 'close');
    return (writeHead as (...all: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
