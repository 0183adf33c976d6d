/**
 * @module test/abuse/slow-clients
 * Issue 12, point 3 (server limits): a client that sends its headers or its body too slowly is
 * cut at the configured `server.headersTimeoutMs` / `requestTimeoutMs` with 408
 * ERR_REQUEST_TIMEOUT (problem+json, `Connection: close`), instead of holding a connection for
 * node's defaults of minutes.
 */
import { describe, expect, it } from 'vitest';

import { useStubbedGateway } from '../proxy/helpers.js';
import { sendRaw } from './raw-socket.js';

const KEY = 'slow-clients-key-0123456789';
const rig = useStubbedGateway({
  name: 'slow-clients',
  clientKey: KEY,
  config: { server: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 } },
});

describe('slow clients', () => {
  it('headers never finished: 408 problem, connection closed', async () => {
    const started = Date.now();
    const answer = await sendRaw(rig.gw.port, ['GET /healthz HTTP/1.1\r\nHost: gw\r\n', 'X-Slow: 1\r\n'], {
      waitMs: 6_000,
    });
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    expect(answer.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a body trickled past the request timeout: cut within the limit', async () => {
    const started = Date.now();
    const chunks = [
      `POST /v1/shipments HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEY}\r\nIdempotency-Key: slow-1\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n',
      ...Array.from({ length: 20 }, () => ' '),
    ];
    const answer = await sendRaw(rig.gw.port, chunks, { gapMs: 400, waitMs: 8_000 });
    expect(answer.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
