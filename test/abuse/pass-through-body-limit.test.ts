/**
 * @module test/abuse/pass-through-body-limit
 * Issue 12, point 3 (body size): a pass-through body is bounded per account
 * (`passThrough.maxBodyBytes`, default 10 MiB). Declared too large: 413 ERR_BODY_TOO_LARGE before
 * anything is sent. Chunked past the limit: the upload is cut and the carrier never receives a
 * complete oversized request.
 */
import { describe, expect, it } from 'vitest';

import {
  SHOP_KEY,
  bearer,
  rawRequest,
  sha256,
  startProxyGateway,
  upsAccount,
  useUpsStub,
} from '../proxy/helpers.js';
import { sendRaw } from './raw-socket.js';

const LIMIT = 2_048;
const PATH = '/v1/carriers/ups-main/api/shipments/v2409/ship';
const rig = useUpsStub(({ sim, stub }) =>
  startProxyGateway([upsAccount('ups-main', sim, stub.url, { passThrough: { maxBodyBytes: LIMIT } })]),
);

describe('pass-through body limit', () => {
  it('a body within the limit passes whole', async () => {
    const body = 'a'.repeat(LIMIT);
    const reply = await rawRequest(rig.gw.port, PATH, { method: 'POST', headers: bearer(SHOP_KEY), body });
    expect(reply.status).toBe(200);
    expect(rig.stub.requests.at(-1)?.sha256).toBe(sha256(body));
  });

  it('a declared Content-Length over the limit: 413 before anything is sent, Connection: close', async () => {
    const before = rig.stub.requests.length;
    const connections = rig.stub.connections();
    const answer = await sendRaw(rig.gw.port, [
      `POST ${PATH} HTTP/1.1\r\nHost: rig.gw\r\nAuthorization: Bearer ${SHOP_KEY}\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`,
      'x'.repeat(100),
    ]);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(answer.headers['connection']).toBe('close');
    expect(rig.stub.requests.length).toBe(before);
    expect(rig.stub.connections()).toBe(connections);
  });

  it('a chunked body past the limit is cut: the carrier never gets it whole', async () => {
    const before = rig.stub.requests.length;
    const chunk = 'y'.repeat(1_000);
    const chunks = [
      `POST ${PATH} HTTP/1.1\r\nHost: rig.gw\r\nAuthorization: Bearer ${SHOP_KEY}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      ...Array.from({ length: 5 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`),
      '0\r\n\r\n',
    ];
    const answer = await sendRaw(rig.gw.port, chunks, { gapMs: 20 });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(rig.stub.requests.length).toBe(before);
  });
});
