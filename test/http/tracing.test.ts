/**
 * @module test/http/tracing.test
 * OpenTelemetry spans, exported over OTLP/HTTP to a collector stand-in on loopback: off without an
 * endpoint in the environment; with one, a pass-through call leaves a token wait and a carrier call
 * in the caller's trace (the carrier's `traceparent` names the carrier call's span), and a
 * shipment that moves on from a drained account leaves a failover decision saying why; of two
 * instances refreshing one account at once on a real redis-server, the one that finds the fleet
 * lock taken leaves a lock wait.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTracing, tracingEnabled, type Tracing } from '../../src/platform/tracing.js';
import { eventually } from '../support/eventually.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { testLogger } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

const CLIENT_KEY = `tracing-client-${randomUUID()}`;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

interface OtlpSpan {
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
  status?: { code?: number };
}

let collector: RecordingServer;
let carrier: RecordingServer;
let sims: ShippingSimulators;
let gw: TestGateway;
let tracing: Tracing | undefined;
// A redis-server and a UPS simulator of their own, for two token engines sharing the fleet lock.
const fleet = useUpsTokenFixture('tracing-lock');

function exported(): OtlpSpan[] {
  return collector.requests.flatMap((request) => {
    const body = JSON.parse(request.body) as {
      resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
    };
    return body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
  });
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
};

beforeAll(async () => {
  collector = await startRecordingServer(() => ({ status: 200, body: {} }));
  carrier = await startRecordingServer(() => ({ status: 200, body: { ok: true } }));
  sims = await startShippingSimulators('tracing');
  expect(await startTracing({}, testLogger('tracing'))).toBeUndefined();
  expect(tracingEnabled()).toBe(false);
  tracing = await startTracing(
    { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces` },
    testLogger('tracing'),
  );
  gw = await startTestGateway({
    name: 'tracing',
    clientKey: CLIENT_KEY,
    accounts: [
      sims.upsMain(),
      sims.fedexMain(),
      {
        id: 'colissimo-traced',
        carrier: 'colissimo',
        urls: { api: carrier.url },
        credentials: { clientId: 'traced-contract', clientSecret: `traced-${randomUUID()}` },
      },
    ],
  });
});

afterAll(async () => {
  await tracing?.shutdown();
  await closeTestGatewaysAnd(sims, carrier, collector);
});

describe('OpenTelemetry spans', () => {
  it('are on only with an OTLP endpoint in the environment', () => {
    expect(tracing).toBeDefined();
    expect(tracingEnabled()).toBe(true);
  });

  it("put the token wait and the carrier call in the caller's trace, and tell the carrier the call's span", async () => {
    const reply = await callGateway(gw, '/v1/carriers/colissimo-traced/status', {
      key: CLIENT_KEY,
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
    });
    expect(reply.status).toBe(200);
    const sentParent = carrier.requests.at(-1)!.headers.traceparent!.split('-')[2];
    const spans = await eventually(
      () => {
        const found = exported().filter((span) => span.traceId === TRACE_ID);
        expect(found.map((span) => span.name).sort()).toEqual(['carrier.call', 'token.wait']);
        return found;
      },
      { timeoutMs: 15_000 },
    );
    const call = spans.find((span) => span.name === 'carrier.call')!;
    expect(call.spanId).toBe(sentParent);
    expect(attribute(call, 'carrier.account')).toBe('colissimo-traced');
    expect(attribute(call, 'http.response.status_code')).toBe(200);
    // Both hang under the gateway's own span for the request, itself under the caller's.
    const token = spans.find((span) => span.name === 'token.wait')!;
    expect(call.parentSpanId).toBe(token.parentSpanId);
    expect(call.parentSpanId).not.toBe(CALLER_SPAN);
  });

  it('record why a shipment moved on to the next account', async () => {
    await gw.gateway.overrides.set('ups-main', { drained: true, breaker: 'auto' });
    const shipped = await postShipment(gw, CLIENT_KEY, {
      accounts: ['ups-main', 'fedex-main'],
      headers: { traceparent: `00-${TRACE_ID.replace('0af7', '1af7')}-${CALLER_SPAN}-01` },
    });
    expect(shipped.account).toBe('fedex-main');
    await eventually(
      () => {
        const decision = exported().find(
          (span) => span.name === 'shipment.failover' && span.traceId === TRACE_ID.replace('0af7', '1af7'),
        );
        expect(decision).toBeDefined();
        expect(attribute(decision!, 'from')).toBe('ups-main');
        expect(attribute(decision!, 'reason')).toBe('drained');
      },
      { timeoutMs: 15_000 },
    );
  });

  it('record the wait of the instance that found the fleet lock taken', async () => {
    const { sim } = fleet;
    const accounts = fleet.accounts(fleet.account('ups-locked'));
    const holder = await fleet.instance(accounts);
    const waiter = await fleet.instance(accounts);
    await sim.setFaults({ tokenLatencyMs: 600 });
    try {
      const held = holder.engine.manager('ups-locked').getToken();
      // The holder's refresh is at the carrier, under the lock: the waiter's refresh starts now.
      while (sim.stats().tokenRequests < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const adopted = await waiter.engine.manager('ups-locked').getToken();
      expect(adopted.accessToken).toBe((await held).accessToken);
      expect(sim.stats().tokenRequests).toBe(1);
    } finally {
      await sim.resetFaults();
    }
    const waits = await eventually(
      () => {
        const found = exported().filter(
          (span) => span.name === 'lock.wait' && attribute(span, 'carrier.account') === 'ups-locked',
        );
        // One wait: the holder took the lock at once, which is no wait and no span.
        expect(found).toHaveLength(1);
        return found;
      },
      { timeoutMs: 15_000 },
    );
    const wait = waits[0]!;
    expect(attribute(wait, 'lock.outcome')).toBe('adopted');
    expect(wait.status?.code ?? 0).not.toBe(2);
    // It lasted until the holder's token arrived, some of the carrier's 600 ms.
    const lastedMs = Number((BigInt(wait.endTimeUnixNano) - BigInt(wait.startTimeUnixNano)) / 1_000_000n);
    expect(lastedMs).toBeGreaterThan(100);
    expect(lastedMs).toBeLessThan(10_000);
  });
});
