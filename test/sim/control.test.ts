/**
 * @module test/sim/control
 * The `/__sim/*` control API, as a gateway running in another process would drive it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UPS_DEFAULT_FAULTS, UPS_PATHS, startUpsSimulator } from '../../carriers/ups/simulator.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { basic, call, connectionError, form, postJson } from '../support/sim-http.js';

describe('control API', () => {
  let sim: SimulatorHandle;
  let base: string;

  beforeEach(async () => {
    sim = await startUpsSimulator();
    base = `${sim.url}/__sim`;
  });
  afterEach(() => sim.close());

  const token = (id: string, secret: string) =>
    call(
      `${sim.url}${UPS_PATHS.token}`,
      form({ grant_type: 'client_credentials' }, { authorization: basic(id, secret) }),
    );

  it('adds clients, rotates secrets and reports stats', async () => {
    expect((await call(`${base}/clients`, postJson({ clientId: 'a', clientSecret: 'one' }))).status).toBe(
      201,
    );
    expect((await token('a', 'one')).status).toBe(200);

    expect((await call(`${base}/rotate-secret`, postJson({ clientId: 'a', newSecret: 'two' }))).status).toBe(
      200,
    );
    expect((await token('a', 'one')).status).toBe(401);
    expect((await token('a', 'two')).status).toBe(200);
    expect((await call(`${base}/rotate-secret`, postJson({ clientId: 'zz', newSecret: 'x' }))).status).toBe(
      404,
    );

    const stats = await call(`${base}/stats`);
    expect(stats.body).toMatchObject({ tokenRequests: 3, tokensIssued: 2, tokenRequestsByClient: { a: 3 } });
  });

  it('sets faults, validates them, and resets faults and stats together', async () => {
    const set = await call(
      `${base}/faults`,
      postJson({ throttle: { count: 1, retryAfterSeconds: 5 }, apiLatencyMs: 10 }),
    );
    expect(set.status).toBe(200);
    expect(sim.faults).toMatchObject({ throttle: { count: 1, retryAfterSeconds: 5 }, apiLatencyMs: 10 });
    expect((await call(`${base}/faults`)).body).toMatchObject({ apiLatencyMs: 10 });

    expect((await call(`${base}/faults`, postJson({ outage: 'sideways' }))).status).toBe(400);
    expect((await call(`${base}/faults`, postJson({ nonsense: true }))).status).toBe(400);
    expect((await call(`${base}/faults`, postJson({ prematureExpirySeconds: null }))).status).toBe(200);

    await token('nobody', 'x');
    const reset = await call(`${base}/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(sim.faults).toEqual(UPS_DEFAULT_FAULTS);
    expect(sim.stats().tokenRequests).toBe(0);
  });

  it('seeds refresh tokens usable at the carrier refresh endpoint', async () => {
    await call(`${base}/clients`, postJson({ clientId: 'a', clientSecret: 'one' }));
    const seeded = await call(`${base}/refresh-tokens`, postJson({ clientId: 'a' }));
    expect(seeded.status).toBe(201);
    const refreshToken = (seeded.body as { refresh_token: string }).refresh_token;
    const refreshed = await call(
      `${sim.url}${UPS_PATHS.refresh}`,
      form(
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        { authorization: basic('a', 'one') },
      ),
    );
    expect(refreshed.status).toBe(200);
    expect((await call(`${base}/refresh-tokens`, postJson({ clientId: 'ghost' }))).status).toBe(404);
  });

  it('a timed refuse outage answers first, refuses, then comes back on the same port', async () => {
    const port = sim.port;
    const reply = await call(`${base}/faults`, postJson({ outage: 'refuse', restoreAfterMs: 300 }));
    expect(reply.status).toBe(202);
    await expect
      .poll(() => connectionError(`${base}/stats`).catch(() => 'served'), { timeout: 250 })
      .toBe('ECONNREFUSED');
    await expect
      .poll(async () => (await call(`${base}/stats`).catch(() => ({ status: 0 }))).status, { timeout: 2_000 })
      .toBe(200);
    expect(sim.port).toBe(port);
    expect(sim.faults.outage).toBe('none');
  });

  it('keeps answering during a reset outage and rejects unknown routes and methods', async () => {
    await call(`${base}/faults`, postJson({ outage: 'reset' }));
    expect((await call(`${base}/stats`)).status).toBe(200);
    expect((await call(`${base}/nope`)).status).toBe(404);
    expect((await call(`${base}/stats`, { method: 'POST' })).status).toBe(405);
    expect((await call(`${base}/reset`, { method: 'POST' })).status).toBe(200);
    expect((await token('x', 'y')).status).toBe(401);
  });
});
