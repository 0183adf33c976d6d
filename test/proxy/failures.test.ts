/**
 * @module test/proxy/failures
 * How the proxy reports a carrier it cannot talk to: a carrier that never answers hits the
 * account's `timeouts.apiMs` (504 ERR_CARRIER_TIMEOUT), a closed port is 502
 * ERR_CARRIER_UNREACHABLE, and a token endpoint that refuses connections on a cold start is 502
 * ERR_TOKEN_ENDPOINT_UNREACHABLE: all as problem+json, none after the carrier's own deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import {
  SHOP_KEY,
  UPS_CLIENT,
  bearer,
  call,
  closedPort,
  observeTokens,
  problemOfReply,
  startCarrierStub,
  startProxyGateway,
  upsAccount,
  type CarrierStub,
  type Reply,
  type RunningGateway,
} from './helpers.js';

/**
 * A client-side deadline well past the 300 ms under test, so a missing timeout fails fast instead
 * of hanging. undici runs its headers timeout on a coarse timer (about 0.5 s ticks), so a 300 ms
 * deadline fires after 0.3-1.1 s.
 */
const CLIENT_DEADLINE_MS = 3_000;

describe('proxy failures reaching the carrier', () => {
  let sim: UpsSimulatorHandle;
  let downSim: UpsSimulatorHandle;
  /** Reads the request and never answers. */
  let silent: CarrierStub;
  let stub: CarrierStub;
  let gw: RunningGateway;

  beforeAll(async () => {
    sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
    downSim = await startUpsSimulator({ clients: [UPS_CLIENT] });
    silent = await startCarrierStub(() => {});
    stub = await startCarrierStub();
    const deadPort = await closedPort();
    const fast = { timeouts: { apiMs: 300 } };
    gw = await startProxyGateway(
      [
        // Listed first on the silent origin, with the default 30 s deadline.
        upsAccount('ups-slow-default', sim, `${silent.url}/a`),
        upsAccount('ups-fast', sim, `${silent.url}/b`, fast),
        upsAccount('ups-fast-only', sim, `http://localhost:${silent.port}/c`, fast),
        upsAccount('ups-dead', sim, `http://127.0.0.1:${deadPort}`),
        upsAccount('ups-cold', downSim, stub.url),
      ],
      // Fast backoff: the cold-start test is about the answer, not about the default delays.
      {
        engine: {
          manager: { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1_000 } },
        },
      },
    );
  });
  afterAll(async () => {
    if (gw)
      for (const account of ['ups-fast', 'ups-fast-only', 'ups-dead']) observeTokens(gw.gateway, account);
    // The silent server first: its dropped sockets end any upstream call still waiting on it,
    // which the gateway's pool would otherwise wait out on close.
    await silent?.close();
    await gw?.close();
    await stub?.close();
    await sim?.close();
    await downSim?.close();
  });

  async function timed(account: string): Promise<{ reply: Reply; ms: number }> {
    const started = performance.now();
    const reply = await call(`${gw.url}/v1/carriers/${account}/api/track/v1/details/1Z999AA10123456784`, {
      headers: bearer(SHOP_KEY),
      signal: AbortSignal.timeout(CLIENT_DEADLINE_MS),
    });
    return { reply, ms: performance.now() - started };
  }

  it('answers 504 ERR_CARRIER_TIMEOUT after timeouts.apiMs when the carrier never answers', async () => {
    const before = silent.requests.length;
    const { reply, ms } = await timed('ups-fast-only');
    expect(reply.status).toBe(504);
    expect(problemOfReply(reply)).toMatchObject({ code: 'ERR_CARRIER_TIMEOUT', account: 'ups-fast-only' });
    // The request did reach the carrier; the gateway gave up on the answer near its deadline.
    expect(silent.requests.length).toBe(before + 1);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
  });

  it("applies each account's apiMs even when another account shares the carrier origin", async () => {
    // ups-slow-default (30 s) and ups-fast (300 ms) both call the silent server's origin.
    const { reply, ms } = await timed('ups-fast');
    expect(reply.status).toBe(504);
    expect(problemOfReply(reply).code).toBe('ERR_CARRIER_TIMEOUT');
    expect(ms).toBeLessThan(2_000);
  });

  it('answers 502 ERR_CARRIER_UNREACHABLE when the carrier port is closed', async () => {
    const { reply } = await timed('ups-dead');
    expect(reply.status).toBe(502);
    expect(problemOfReply(reply)).toMatchObject({ code: 'ERR_CARRIER_UNREACHABLE', account: 'ups-dead' });
  });

  it('answers 502 ERR_TOKEN_ENDPOINT_UNREACHABLE when the token endpoint refuses connections on a cold start', async () => {
    await downSim.setFaults({ outage: 'refuse' });
    const { reply } = await timed('ups-cold');
    expect(reply.status).toBe(502);
    expect(problemOfReply(reply)).toMatchObject({
      code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE',
      account: 'ups-cold',
    });
    // No token, no carrier call.
    expect(stub.requests).toEqual([]);
    expect(gw.gateway.engine.manager('ups-cold').peek()).toBeUndefined();
  });
});
