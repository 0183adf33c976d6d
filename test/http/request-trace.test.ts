/**
 * @module test/http/request-trace.test
 * Every request has an id and a trace, end to end, on a listening gateway: `X-Request-Id` is
 * answered on every path (hono routes, the pass-through, problems), a valid incoming id or
 * `traceparent` is kept and a forged one is not, the problem's `instance` names the id, a 401
 * carries `WWW-Authenticate`, the carrier receives the caller's trace with the gateway as parent,
 * and each request leaves exactly one access-log line (route template, account, client, status,
 * durations; rates and tracking with their carrier time, side-by-side calls counted once) in which
 * no key, secret or query string appears. Also: prom-client's process metrics are on `/metrics`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { captureDir } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const NAME = `request-trace-${randomUUID().slice(0, 8)}`;
const CLIENT_KEY = `trace-client-${randomUUID()}`;
const COLISSIMO_KEY = `trace-colissimo-${randomUUID()}`;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

let carrier: RecordingServer;
let sims: ShippingSimulators;
let gw: TestGateway;

interface AccessLine {
  name: string;
  msg: string;
  requestId: string;
  traceId: string;
  method: string;
  route: string;
  account?: string;
  client?: string;
  status: number;
  durationMs: number;
  carrierMs: number;
}

/** This file's access-log lines, from the suite's capture file. */
function accessLines(): { lines: AccessLine[]; raw: string[] } {
  const file = join(captureDir(), `gateway-${process.pid}.log`);
  const raw = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"name":"${NAME}"`) && line.includes('"msg":"request"'));
  return { lines: raw.map((line) => JSON.parse(line) as AccessLine), raw };
}

const lineFor = (requestId: string) =>
  eventually(() => {
    const found = accessLines().lines.filter((line) => line.requestId === requestId);
    expect(found).toHaveLength(1);
    return found[0]!;
  });

beforeAll(async () => {
  carrier = await startRecordingServer(() => ({ status: 200, body: { ok: true } }));
  sims = await startShippingSimulators('trace');
  gw = await startTestGateway({
    name: NAME,
    clientKey: CLIENT_KEY,
    accounts: [
      sims.upsMain(),
      // A second account on the same simulator: two rate calls side by side.
      { ...sims.upsMain(), id: 'ups-twin' },
      {
        id: 'colissimo-trace',
        carrier: 'colissimo',
        urls: { api: carrier.url },
        credentials: { clientId: 'trace-contract', clientSecret: COLISSIMO_KEY },
      },
    ],
  });
});

afterAll(() => closeTestGatewaysAnd(sims, carrier));

describe('request ids', () => {
  it('answers a fresh id on every route and keeps a valid incoming one', async () => {
    const fresh = await callGateway(gw, '/healthz');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const kept = await callGateway(gw, '/healthz', { headers: { 'x-request-id': 'shop-req-42' } });
    expect(kept.headers.get('x-request-id')).toBe('shop-req-42');
    // A value that could forge a log line or a header is replaced, not echoed.
    const forged = await callGateway(gw, '/healthz', { headers: { 'x-request-id': 'a b"c' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes the trace id of a valid traceparent as the request id, and ignores an invalid one', async () => {
    const traced = await callGateway(gw, '/healthz', {
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
    });
    expect(traced.headers.get('x-request-id')).toBe(TRACE_ID);
    const zero = await callGateway(gw, '/healthz', {
      headers: { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` },
    });
    expect(zero.headers.get('x-request-id')).not.toBe('0'.repeat(32));
  });

  it('names the request in a problem, and a 401 carries its challenge', async () => {
    const refused = await callGateway(gw, '/v1/accounts', {
      key: 'not-a-key-at-all',
      headers: { 'x-request-id': 'shop-req-401' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="carrier-gateway"');
    expect(refused.body).toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
      instance: 'urn:request-id:shop-req-401',
    });

    // The pass-through's problems are written on the raw node response: same envelope.
    const proxied = await callGateway(gw, '/v1/carriers/colissimo-trace/x', {
      headers: { 'x-request-id': 'shop-req-proxy-401' },
    });
    expect(proxied.status).toBe(401);
    expect(proxied.headers.get('www-authenticate')).toBe('Bearer realm="carrier-gateway"');
    expect(proxied.headers.get('x-request-id')).toBe('shop-req-proxy-401');
    expect(proxied.body).toMatchObject({ instance: 'urn:request-id:shop-req-proxy-401' });
  });
});

describe('trace context toward carriers', () => {
  it("sends the caller's trace with the gateway's own span as parent, replacing the caller's header", async () => {
    carrier.clear();
    const reply = await callGateway(gw, '/v1/carriers/colissimo-trace/status?secret-ish=1', {
      key: CLIENT_KEY,
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'shop=1' },
    });
    expect(reply.status).toBe(200);
    const sent = carrier.requests[0]!.headers;
    const [version, traceId, parent, flags] = sent.traceparent!.split('-');
    expect({ version, traceId, flags }).toEqual({ version: '00', traceId: TRACE_ID, flags: '01' });
    expect(parent).toMatch(/^[0-9a-f]{16}$/);
    expect(parent).not.toBe(CALLER_SPAN);
    expect(sent.tracestate).toBe('shop=1');
  });

  it('starts a trace when the caller sent none', async () => {
    carrier.clear();
    const reply = await callGateway(gw, '/v1/carriers/colissimo-trace/status', { key: CLIENT_KEY });
    const sent = carrier.requests[0]!.headers.traceparent!;
    expect(sent).toMatch(new RegExp(`^00-${reply.headers.get('x-request-id')}-[0-9a-f]{16}-01$`));
  });
});

describe('the access log', () => {
  it('writes one line per request with the route template, account, client, status and times', async () => {
    const proxied = await callGateway(gw, '/v1/carriers/colissimo-trace/track?code=abc', {
      key: CLIENT_KEY,
      headers: { 'x-request-id': 'log-proxy-1' },
    });
    expect(proxied.status).toBe(200);
    const proxyLine = await lineFor('log-proxy-1');
    expect(proxyLine).toMatchObject({
      method: 'GET',
      route: '/v1/carriers/{accountId}/{path}',
      account: 'colissimo-trace',
      client: 'shop',
      status: 200,
    });
    expect(proxyLine.carrierMs).toBeGreaterThan(0);
    expect(proxyLine.durationMs).toBeGreaterThanOrEqual(proxyLine.carrierMs);

    const shipped = await postShipment(gw, CLIENT_KEY, {
      accounts: ['ups-main'],
      headers: { 'x-request-id': 'log-shipment-1' },
    });
    expect(shipped.status).toBe(201);
    const shipmentLine = await lineFor('log-shipment-1');
    expect(shipmentLine).toMatchObject({
      method: 'POST',
      route: '/v1/shipments',
      account: 'ups-main',
      client: 'shop',
      status: 201,
    });
    expect(shipmentLine.carrierMs).toBeGreaterThan(0);

    await callGateway(gw, '/v1/health/carriers/ups-main', {
      key: 'wrong-key',
      headers: { 'x-request-id': 'log-401' },
    });
    expect(await lineFor('log-401')).toMatchObject({
      route: '/v1/health/carriers/{id}',
      account: 'ups-main',
      status: 401,
      carrierMs: 0,
    });
    await callGateway(gw, '/nowhere', { headers: { 'x-request-id': 'log-404' } });
    expect(await lineFor('log-404')).toMatchObject({ route: 'unmatched', status: 404 });
  });

  it('rates and tracking report their carrier time: side-by-side calls once, a cut call up to the answer', async () => {
    const body = (deadlineMs: number) => ({ ...SHIPMENT, accounts: ['ups-main', 'ups-twin'], deadlineMs });
    const post = (id: string, deadlineMs: number) =>
      callGateway(gw, '/v1/rates', {
        method: 'POST',
        key: CLIENT_KEY,
        body: body(deadlineMs),
        headers: { 'x-request-id': id },
      });
    try {
      // Both accounts answer after 300 ms, in parallel: about 300 ms of carrier time, not 600.
      await sims.ups.setFaults({ ratesLatencyMs: 300 });
      expect((await post('log-rates-both', 5_000)).status).toBe(200);
      const both = await lineFor('log-rates-both');
      expect(both).toMatchObject({ route: '/v1/rates', status: 200 });
      expect(both.carrierMs).toBeGreaterThanOrEqual(300);
      expect(both.carrierMs).toBeLessThan(600);
      expect(both.durationMs).toBeGreaterThanOrEqual(both.carrierMs);

      // Neither answers by the deadline: their time counts up to the answer, never past it.
      await sims.ups.setFaults({ ratesLatencyMs: 5_000 });
      expect((await post('log-rates-cut', 400)).status).toBe(200);
      const cut = await lineFor('log-rates-cut');
      expect(cut.carrierMs).toBeGreaterThan(300);
      expect(cut.durationMs).toBeGreaterThanOrEqual(cut.carrierMs);

      await sims.ups.setFaults({ ratesLatencyMs: 0, trackingLatencyMs: 200 });
      await callGateway(gw, '/v1/tracking/1Z999AA10123456785?account=ups-main', {
        key: CLIENT_KEY,
        headers: { 'x-request-id': 'log-tracking-1' },
      });
      const tracked = await lineFor('log-tracking-1');
      expect(tracked).toMatchObject({
        route: '/v1/tracking/{trackingNumber}',
        account: 'ups-main',
        status: 200,
      });
      expect(tracked.carrierMs).toBeGreaterThanOrEqual(200);
      expect(tracked.durationMs).toBeGreaterThanOrEqual(tracked.carrierMs);
    } finally {
      await sims.ups.resetFaults();
    }
  });

  it('never holds a key, a secret or the query string', async () => {
    await callGateway(gw, '/v1/carriers/colissimo-trace/track?token=query-secret-123', {
      key: CLIENT_KEY,
      headers: { 'x-request-id': 'log-secret-1' },
    });
    await lineFor('log-secret-1');
    const text = accessLines().raw.join('\n');
    for (const secret of [CLIENT_KEY, COLISSIMO_KEY, sims.upsClient.clientSecret, 'query-secret-123']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('process metrics', () => {
  it("serves prom-client's default process metrics", async () => {
    const metrics = await callGateway(gw, '/metrics');
    expect(metrics.text).toContain('process_cpu_seconds_total');
    expect(metrics.text).toContain('nodejs_eventloop_lag_seconds');
  });
});
