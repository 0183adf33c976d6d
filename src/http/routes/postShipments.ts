/**
 * @module http/routes/postShipments
 * `POST /v1/shipments`: one endpoint for labels at every carrier. The client's key and an
 * `Idempotency-Key` are required; the body is checked before anything is claimed or sent, so a
 * bad request changes no state. The answer is 201 with the label, or a problem naming what
 * happened at each account tried (`attempts`).
 */
import type { IncomingMessage } from 'node:http';

import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { GatewayError } from '../../core/errors.js';
import { ShipmentService } from '../../shipments/shipment-service.js';

/** Label requests are small JSON documents; anything larger is refused before it is parsed. */
export const SHIPMENT_BODY_LIMIT_BYTES = 256 * 1024;

const tooLarge = () =>
  new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
    detail: `a shipment body is at most ${SHIPMENT_BODY_LIMIT_BYTES} bytes`,
  });

/** The whole body as text, refused past `limit` bytes (announced or read). */
async function readBody(incoming: IncomingMessage, limit: number): Promise<string> {
  const announced = Number(incoming.headers['content-length'] ?? 0);
  if (announced > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function postShipments(deps: { shipments: ShipmentService }) {
  return async function shipments(c: Context<AppEnv>) {
    const client = c.get('client');
    const key = ShipmentService.idempotencyKey(c.req.header('idempotency-key'));
    // Read from the node request itself: going through the Web Request (hono's bodyLimit, a
    // stream reader) cost a fifth of a shipment's CPU (docs/benchmarks.md, run 9).
    const incoming = c.env?.incoming;
    const text =
      incoming !== undefined
        ? await readBody(incoming, SHIPMENT_BODY_LIMIT_BYTES)
        : await c.req.text().then((all) => {
            if (Buffer.byteLength(all) > SHIPMENT_BODY_LIMIT_BYTES) throw tooLarge();
            return all;
          });
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError('ERR_REQUEST_INVALID', undefined, { detail: 'the body must be a JSON object' });
    }
    const shipment = ShipmentService.parse(body);
    const answer = await deps.shipments.create(client, key, shipment, c.get('trace'));
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.replayed) headers['idempotent-replayed'] = 'true';
    return c.body(answer.body, answer.status as 201, headers);
  };
}
