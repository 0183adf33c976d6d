/**
 * @module lifecycle/unread-body
 * An answer sent before the request's body arrived whole (a 413 for a body announced too large,
 * a 401 before an upload was read, a carrier answering mid-upload) leaves unread bytes on the
 * connection. Saying `keep-alive` and then dropping the socket, as node:http does once it gives
 * up draining them, makes a client resend on a dead connection; so such an answer says
 * `Connection: close`, and node closes the connection after it (issue 12, point 6).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';

/** Whether the request announces a body at all (RFC 9112 6.3). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * The gateway's response class (node:http `createServer({ ServerResponse })`): the check runs in
 * `writeHead`, which node also calls for an implicit header. A subclass, not a `writeHead`
 * patched onto each response: a property added per response changed every response's hidden
 * class (about 7 µs of a shipment under the profiler, docs/benchmarks.md run 19).
 */
export class UnreadBodyAwareResponse extends ServerResponse {
  override writeHead(...args: unknown[]): this {
    // `complete`: the parser has seen the whole body (node sets it once the body was consumed
    // up to its end).
    if (!this.headersSent && announcesBody(this.req) && !this.req.complete)
      this.setHeader('connection', 'close');
    return (super.writeHead as (...all: unknown[]) => this).apply(this, args);
  }
}
