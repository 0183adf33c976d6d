/**
 * @module test/abuse/broken-streams
 * Issue 12, point 5: a request stream the HTTP parser refuses (`Transfer-Encoding: gzip` without
 * chunked, a broken chunk halfway through a body) is the client's error: a 400 problem+json with
 * ERR_REQUEST_STREAM_INVALID and `Connection: close`, never an "unhandled error" log line, never
 * a 500 in the shipment metrics, never a failure in the carrier's health.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { captureDir } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import { startTestGateway } from '../support/test-gateway.js';
import { upsAccount, useUpsStub } from '../proxy/helpers.js';
import { sendRaw } from './raw-socket.js';

const KEY = 'broken-streams-key-0123456789';
const NAME = `broken-streams-${process.pid}`;

const rig = useUpsStub(({ sim, stub }) =>
  startTestGateway({
    name: NAME,
    clientKey: KEY,
    accounts: [upsAccount('ups-main', sim, stub.url, { shipping: { shipperNumber: 'A1B2C3' } })],
  }),
);

const head = (path: string, te: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: rig.gw\r\nAuthorization: Bearer ${KEY}\r\n` +
  `Content-Type: application/json\r\nTransfer-Encoding: ${te}\r\n${extra}\r\n`;

const SHIP = '/v1/shipments';
const PASS = '/v1/carriers/ups-main/api/shipments/v2409/ship';

function expectStreamProblem(answer: Awaited<ReturnType<typeof sendRaw>>) {
  expect(answer.status).toBe(400);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers['connection']).toBe('close');
  expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'ERR_REQUEST_STREAM_INVALID' });
}

describe('broken request streams', () => {
  it('Transfer-Encoding: gzip on a shipment is a 400 problem', async () => {
    expectStreamProblem(
      await sendRaw(rig.gw.port, [
        head(SHIP, 'gzip', 'Idempotency-Key: te-gzip\r\n'),
        JSON.stringify(SHIPMENT),
      ]),
    );
  });

  it('a chunk that breaks halfway through a shipment body is a 400 problem', async () => {
    const answer = await sendRaw(
      rig.gw.port,
      [head(SHIP, 'chunked', 'Idempotency-Key: te-broken\r\n'), '5\r\n{"ser', '\r\nZZ\r\n'],
      { gapMs: 50 },
    );
    expectStreamProblem(answer);
  });

  it('a pass-through body that breaks halfway is a 400 problem, not the carrier’s failure', async () => {
    const answer = await sendRaw(rig.gw.port, [head(PASS, 'chunked'), '5\r\n{"a":', '\r\nZZ\r\n'], {
      gapMs: 100,
    });
    expectStreamProblem(answer);
    await rig.gw.gateway.recorder.flush();
    const report = await rig.gw.gateway.health.report('ups-main');
    expect(report.failures['5m']).toEqual({});
  });

  it('logged no unhandled error and counted no 500', async () => {
    const metrics = await fetch(`${rig.gw.url}/metrics`).then((reply) => reply.text());
    expect(metrics).not.toMatch(/carrier_gateway_shipments_total\{status="5\d\d"\}/);
    const lines = readFileSync(join(captureDir(), `gateway-${process.pid}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"name":"${NAME}"`));
    expect(lines.filter((line) => /"level":(50|60)/.test(line) || line.includes('unhandled'))).toEqual([]);
  });
});
