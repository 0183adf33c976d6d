/**
 * @module lifecycle/unread-body
 * An answer sent before the request's body arrived whole (a 413 for a body announced too large,
 * a 401 before an upload was read, a carrier answering mid-upload) leaves unread bytes on the
 * connection. Saying `keep-alive` and then dropping the socket, as node:http does once it gives
 * up draining them, makes a client resend on a dead connection; so such an answer says
 * `Connection: close`, and node closes the connection after it (issue 12, point 6).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // `complete`: the parser has seen the whole message, read by the handler or not.
    if (!req.complete && !this.headersSent) this.setHeader('connection', 'close');
    return (writeHead as (...all: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
