/**
 * @module test/abuse/unread-body
 * Issue 12, point 6: an answer given before the request's body was read (413 for a shipment
 * announced too large, 401 before an upload was read) says `Connection: close` and the server
 * closes the connection, instead of promising keep-alive and then dropping the socket.
 */
import { describe, expect, it } from 'vitest';

import { useStubbedGateway } from '../proxy/helpers.js';
import { sendRaw } from './raw-socket.js';

const KEY = 'unread-body-key-0123456789';
const rig = useStubbedGateway({
  name: 'unread-body',
  clientKey: KEY,
});

describe('answers before the body was read', () => {
  it('a shipment announced at 10 MB: 413, Connection: close, connection closed', async () => {
    const answer = await sendRaw(
      rig.gw.port,
      [
        `POST /v1/shipments HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEY}\r\nIdempotency-Key: big-1\r\n` +
          `Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n`,
        '{"service":"',
      ],
      { waitMs: 3_000 },
    );
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers['connection']).toBe('close');
    expect(answer.closedByServer).toBe(true);
  });

  it('an upload refused before it was read (wrong key): 401, Connection: close', async () => {
    const answer = await sendRaw(rig.gw.port, [
      `POST /v1/carriers/ups-main/api/shipments/v2409/ship HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer wrong-key-0123456789\r\n` +
        `Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`,
      '{"a":',
    ]);
    expect(answer.status).toBe(401);
    expect(answer.headers['connection']).toBe('close');
    expect(answer.closedByServer).toBe(true);
    expect(rig.stub.requests.length).toBe(0);
  });

  it('a body read whole keeps the connection alive', async () => {
    const body = '{"service":"x"}';
    const answer = await sendRaw(
      rig.gw.port,
      [
        `POST /v1/shipments HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${KEY}\r\nIdempotency-Key: small-1\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ],
      { waitMs: 1_000 },
    );
    expect(answer.status).toBe(400);
    expect(answer.headers['connection']).toBe('keep-alive');
  });
});
