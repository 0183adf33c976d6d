/**
 * @module test/lifecycle/drain.test
 * SIGTERM to the real program (src/main.ts in its own process) on a real Redis, while shipments
 * wait at a slow UPS simulator:
 * - `/readyz` answers 503 `draining` at once, `/healthz` stays 200 (liveness must not restart it);
 * - through the grace period requests are still served, each answer with `Connection: close`;
 * - after it nothing is accepted: new connections are refused, the idle keep-alive connection is
 *   closed;
 * - every shipment in flight completes with its label (201 to the client; labels made at the
 *   simulator = labels received), including shipments whose client hung up: their outcome is in
 *   the idempotency record, which another instance replays;
 * - the process exits 0, once the last shipment is answered.
 * A second signal exits at once (130 for SIGINT); at `shutdown.timeoutMs` the process exits 1
 * naming what was still in flight.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { rawConnection } from '../support/raw-http.js';
import { TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { upsMainAccount } from '../support/shipping-accounts.js';

const CLIENT_KEY = `drain-client-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'drain-ups', clientSecret: `drain-ups-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, UPS_CLIENT.clientSecret);

const GRACE_MS = 1_500;
/** Longer than the grace: the label calls are still at the carrier when the listener closes. */
const CARRIER_LATENCY_MS = 4_000;
const IN_FLIGHT = 20;

let redis: TestRedis;
let ups: UpsSimulatorHandle;
const started: GatewayProcess[] = [];

function config(shutdown: { graceMs: number; timeoutMs: number }, apiMs = 15_000): string {
  return writeConfig(
    JSON.stringify({
      listen: { port: 0, host: '127.0.0.1' },
      redis: { url: redis.url },
      shutdown,
      clients: [{ id: 'shop', apiKey: CLIENT_KEY, accounts: ['ups-main'] }],
      accounts: [upsMainAccount(ups, UPS_CLIENT, { timeouts: { apiMs } })],
    }),
  );
}

async function start(file: string): Promise<GatewayProcess> {
  const gateway = await startGatewayProcess(file);
  started.push(gateway);
  return gateway;
}

interface Label {
  status: number;
  key: string;
  connection: string | null;
  replayed: string | null;
  body: { trackingNumbers?: string[]; labels?: { data: string }[]; code?: string };
}

async function ship(base: string, key: string, signal?: AbortSignal): Promise<Label> {
  const response = await fetch(`${base}/v1/shipments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${CLIENT_KEY}`,
      'idempotency-key': key,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...SHIPMENT, accounts: ['ups-main'] }),
    ...(signal ? { signal } : {}),
  });
  return {
    status: response.status,
    key,
    connection: response.headers.get('connection'),
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as Label['body'],
  };
}

const track = (base: string) =>
  fetch(`${base}/v1/carriers/ups-main/api/track/v1/details/1Z12345E0205271688`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });

function exited(gateway: GatewayProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => {
    if (gateway.child.exitCode !== null) return resolve({ code: gateway.child.exitCode, at: Date.now() });
    gateway.child.once('exit', (code) => resolve({ code, at: Date.now() }));
  });
}

/** Resolves once the carrier has received `count` more API calls than `before`. */
async function carrierReceived(before: number, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (ups.stats().apiRequests < before + count) {
    if (Date.now() > deadline)
      throw new Error(`the carrier saw ${ups.stats().apiRequests - before} of ${count}`);
    await sleep(10);
  }
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

function logged(gateway: GatewayProcess, message: string): Record<string, unknown> | undefined {
  const line = gateway.log().find((candidate) => candidate.includes(`"msg":"${message}`));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  redis = await TestRedis.start();
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
});

afterAll(async () => {
  registerIssuedTokens(ups);
  await Promise.all(started.map((gateway) => gateway.stop()));
  await ups?.close();
  await redis?.kill();
});

describe('SIGTERM drains the instance', () => {
  it('serves through the grace, then accepts nothing, finishes every shipment with its label and exits 0', async () => {
    const gateway = await start(config({ graceMs: GRACE_MS, timeoutMs: 30_000 }));
    const base = gateway.url;
    expect((await track(base)).status).toBe(200); // the token is cached: label calls go straight out
    await ups.setFaults({ apiLatencyMs: CARRIER_LATENCY_MS });
    const labelsBefore = ups.stats().labelsCreated;

    // A keep-alive connection, idle through the whole grace period.
    const idle = await rawConnection(gateway.port);
    expect((await idle.request('GET', '/healthz')).headers.connection).not.toBe('close');
    // Another one, used again during the grace period.
    const reused = await rawConnection(gateway.port);
    await reused.request('GET', '/healthz');

    const apiBefore = ups.stats().apiRequests;
    const inFlight = Array.from({ length: IN_FLIGHT }, () => ship(base, randomUUID()));
    // Two clients that hang up during the drain: their shipments must finish and be recorded all the same.
    const abandonedKeys = [randomUUID(), randomUUID()];
    const hangUp = new AbortController();
    const abandoned = abandonedKeys.map((key) =>
      ship(base, key, hangUp.signal).catch((error: Error) => error),
    );
    await carrierReceived(apiBefore, IN_FLIGHT + abandonedKeys.length);

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    const exit = exited(gateway);

    // /readyz says so at once; liveness stays up.
    let ready = await fetch(`${base}/readyz`);
    while (ready.status === 200 && Date.now() - signalled < 2_000) {
      await sleep(10);
      ready = await fetch(`${base}/readyz`);
    }
    const notReadyAfterMs = Date.now() - signalled;
    expect(ready.status).toBe(503);
    expect(notReadyAfterMs).toBeLessThan(GRACE_MS);
    expect(((await ready.json()) as { status: string }).status).toBe('draining');
    expect(ready.headers.get('connection')).toBe('close');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    hangUp.abort();

    // Still served during the grace period, each answer closing its connection.
    const accounts = await fetch(`${base}/v1/accounts`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    expect(accounts.status).toBe(200);
    expect(accounts.headers.get('connection')).toBe('close');
    const onKeptConnection = await reused.request('GET', '/healthz');
    expect(onKeptConnection.status).toBe(200);
    expect(onKeptConnection.headers.connection).toBe('close');
    await reused.closed;
    const duringGrace = ship(base, randomUUID());
    const trackDuringGrace = track(base);
    expect(Date.now() - signalled).toBeLessThan(GRACE_MS);

    // After the grace period: nothing is accepted, the idle keep-alive connection is closed.
    const idleClosedAt = await idle.closed;
    expect(idleClosedAt - signalled).toBeGreaterThanOrEqual(GRACE_MS - 50);
    await sleep(Math.max(0, signalled + GRACE_MS + 200 - Date.now()));
    expect(await refused(gateway.port)).toBe('ECONNREFUSED');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(gateway.child.exitCode).toBeNull(); // the label calls are still at the carrier

    const answered = await Promise.all([...inFlight, duringGrace]);
    const tracked = await trackDuringGrace;
    expect(tracked.status).toBe(200);
    expect(tracked.headers.get('connection')).toBe('close'); // the pass-through path too
    for (const label of answered) {
      expect(label.status, JSON.stringify(label.body)).toBe(201);
      expect(label.body.trackingNumbers?.length).toBeGreaterThan(0);
      expect(Buffer.from(label.body.labels![0]!.data, 'base64').length).toBeGreaterThan(20);
    }
    expect((await Promise.all(abandoned)).every((outcome) => outcome instanceof Error)).toBe(true);

    const { code, at } = await exit;
    expect(code).toBe(0);
    expect(at - signalled).toBeGreaterThan(CARRIER_LATENCY_MS - 1_000);
    expect(at - signalled).toBeLessThan(30_000);
    const overGrace = logged(gateway, 'grace period over');
    expect(overGrace?.inFlight).toBeGreaterThanOrEqual(IN_FLIGHT + abandonedKeys.length);
    expect(logged(gateway, 'stopped cleanly')).toBeDefined();
    process.stdout.write(
      `drain: /readyz 503 after ${notReadyAfterMs} ms; exit 0 after ${at - signalled} ms ` +
        `(grace ${GRACE_MS} ms, carrier latency ${CARRIER_LATENCY_MS} ms)\n`,
    );

    // Every label made was received: by the clients, or recorded for the two that hung up.
    await ups.setFaults({ apiLatencyMs: 0 });
    const labelsMade = ups.stats().labelsCreated - labelsBefore;
    expect(labelsMade).toBe(answered.length + abandonedKeys.length);
    const next = await start(config({ graceMs: GRACE_MS, timeoutMs: 30_000 }));
    const replays = await Promise.all(
      [...answered.map((label) => label.key), ...abandonedKeys].map((key) => ship(next.url, key)),
    );
    for (const [index, replay] of replays.entries()) {
      expect(replay.status).toBe(201);
      expect(replay.replayed).toBe('true');
      if (index < answered.length)
        expect(replay.body.trackingNumbers).toEqual(answered[index]!.body.trackingNumbers);
    }
    expect(new Set(replays.map((replay) => replay.body.trackingNumbers![0])).size).toBe(labelsMade);
    expect(ups.stats().labelsCreated - labelsBefore).toBe(labelsMade);
  }, 60_000);

  it('a second signal exits at once, naming what was cut', async () => {
    const gateway = await start(config({ graceMs: 5_000, timeoutMs: 30_000 }));
    expect((await track(gateway.url)).status).toBe(200);
    await ups.setFaults({ apiLatencyMs: CARRIER_LATENCY_MS });
    const apiBefore = ups.stats().apiRequests;
    const inFlight = [ship(gateway.url, randomUUID()).catch((error: Error) => error)];
    await carrierReceived(apiBefore, 1);

    gateway.child.kill('SIGTERM');
    const exit = exited(gateway);
    const deadline = Date.now() + 2_000;
    while (logged(gateway, 'shutting down') === undefined && Date.now() < deadline) await sleep(10);
    const second = Date.now();
    gateway.child.kill('SIGINT');
    const { code, at } = await exit;
    await ups.setFaults({ apiLatencyMs: 0 });
    expect(code).toBe(130);
    expect(at - second).toBeLessThan(1_000);
    const line = logged(gateway, 'second signal during shutdown') as {
      inFlight: { kind: string; what: string }[];
    };
    expect(line.inFlight).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'request', what: 'POST /v1/shipments' }),
        expect.objectContaining({ kind: 'shipment', what: 'shipment for client shop' }),
      ]),
    );
    await Promise.all(inFlight);
  }, 30_000);

  it('at shutdown.timeoutMs it exits 1, naming what was still in flight', async () => {
    const gateway = await start(config({ graceMs: 200, timeoutMs: 2_000 }, 20_000));
    expect((await track(gateway.url)).status).toBe(200);
    // The label is made, and the answer never comes (until the 20 s API timeout).
    await ups.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    const apiBefore = ups.stats().apiRequests;
    const hanging = ship(gateway.url, randomUUID()).catch((error: Error) => error);
    await carrierReceived(apiBefore, 1);

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    const { code, at } = await exited(gateway);
    expect(code).toBe(1);
    expect(at - signalled).toBeGreaterThanOrEqual(1_900);
    expect(at - signalled).toBeLessThan(8_000);
    const line = logged(gateway, 'shutdown timed out') as { timeoutMs: number; inFlight: { kind: string }[] };
    expect(line.timeoutMs).toBe(2_000);
    expect(line.inFlight.map((work) => work.kind).sort()).toEqual(['request', 'shipment']);
    await hanging;
    await ups.resetFaults();
  }, 30_000);
});
