/**
 * @module http/json-body
 * The JSON body of a POST route, read once and the same way everywhere: from the node request
 * itself (hono's Web `Request` and a stream reader cost a fifth of a shipment's CPU,
 * docs/benchmarks.md run 11), refused past its limit whether announced or read, a broken stream
 * answered as the client's fault (issue 12, point 5), and anything but JSON refused before a
 * schema looks at it.
 */
import type { IncomingMessage } from 'node:http';

import type { Context } from 'hono';

import { GatewayError, isGatewayError } from '../core/errors.js';
import type { AppEnv } from './env.js';

async function readStream(incoming: IncomingMessage, limit: number, tooLarge: () => GatewayError) {
  if (Number(incoming.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of incoming) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (isGatewayError(error)) throw error;
    // A framing the parser refused, a hang-up mid-body: never an unhandled error or a 500.
    throw new GatewayError('ERR_REQUEST_STREAM_INVALID', undefined, {
      detail: 'the request body ended before it was complete, or its framing is invalid',
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The parsed body (not yet checked by any schema); `what` names it in the 413 (`a shipment body`). */
export async function readJsonBody(c: Context<AppEnv>, limit: number, what: string): Promise<unknown> {
  const tooLarge = () =>
    new GatewayError('ERR_BODY_TOO_LARGE', undefined, { detail: `${what} is at most ${limit} bytes` });
  const incoming = c.env?.incoming;
  // In-process requests (`app.request` in tests) have no node request.
  const text =
    incoming !== undefined
      ? await readStream(incoming, limit, tooLarge)
      : await c.req.text().then((all) => {
          if (Buffer.byteLength(all) > limit) throw tooLarge();
          return all;
        });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('ERR_REQUEST_INVALID', undefined, { detail: 'the body must be a JSON object' });
  }
}
