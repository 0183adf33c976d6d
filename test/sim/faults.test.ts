/**
 * @module test/sim/faults
 * Shared fault switches, driven through the simulators' handles: outages, latency, lifetimes,
 * premature expiry, clock skew, throttling/5xx countdowns and the per-client counters.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startOAuth2Simulator } from '../../carriers/oauth2/simulator.js';
import { UPS_PATHS, startUpsSimulator } from '../../carriers/ups/simulator.js';
import { manualClock, type SimulatorHandle } from '../../src/sim/index.js';
import { basic, call, connectionError, form, postJson } from '../support/sim-http.js';

const CLIENT = { clientId: 'c1', clientSecret: 's1' };
const CLIENT2 = { clientId: 'c2', clientSecret: 's2' };

const running: SimulatorHandle[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});
async function track<T extends SimulatorHandle>(sim: Promise<T>): Promise<T> {
  const started = await sim;
  running.push(started);
  return started;
}

const upsToken = (sim: SimulatorHandle, client = CLIENT) =>
  call(
    `${sim.url}${UPS_PATHS.token}`,
    form(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.clientId, client.clientSecret) },
    ),
  );
const upsAccess = async (sim: SimulatorHandle) =>
  ((await upsToken(sim)).body as { access_token: string }).access_token;
const upsXav = (sim: SimulatorHandle, token: string) =>
  call(
    `${sim.url}${UPS_PATHS.addressValidation}`,
    postJson({ XAVRequest: { AddressKeyFormat: {} } }, { authorization: `Bearer ${token}` }),
  );

describe('outages', () => {
  it('refuse: connections are refused, then served again on the same port', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT] }));
    const { port, url } = sim;
    expect((await upsToken(sim)).status).toBe(200); // leaves a keep-alive socket that must not survive

    await sim.setFaults({ outage: 'refuse' });
    expect(await connectionError(`${url}${UPS_PATHS.token}`, { method: 'POST' })).toBe('ECONNREFUSED');
    expect(await connectionError(`${url}/__sim/stats`)).toBe('ECONNREFUSED');

    await sim.setFaults({ outage: 'none' });
    expect(sim.port).toBe(port);
    expect((await upsToken(sim)).status).toBe(200);
  });

  it('refuse can be set at start, and resetFaults brings the listener back', async () => {
    const sim = await track(startFedexSimulator({ clients: [CLIENT], faults: { outage: 'refuse' } }));
    expect(await connectionError(`${sim.url}/oauth/token`, { method: 'POST' })).toBe('ECONNREFUSED');
    await sim.resetFaults();
    expect((await call(`${sim.url}/__sim/stats`)).status).toBe(200);
  });

  it('reset: carrier requests have their socket reset while the control API keeps answering', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT] }));
    await sim.setFaults({ outage: 'reset' });
    const code = await connectionError(
      `${sim.url}${UPS_PATHS.token}`,
      form({ grant_type: 'client_credentials' }),
    );
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);

    const stats = await call(`${sim.url}/__sim/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ connectionsReset: 1, tokenRequests: 0 });

    await sim.setFaults({ outage: 'none' });
    expect((await upsToken(sim)).status).toBe(200);
  });
});

describe('latency', () => {
  it('delays token answers by tokenLatencyMs and API answers by apiLatencyMs', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT], faults: { tokenLatencyMs: 150 } }));
    let started = performance.now();
    const token = await upsAccess(sim);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    await sim.setFaults({ tokenLatencyMs: 0, apiLatencyMs: 150 });
    started = performance.now();
    expect((await upsXav(sim, token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    await sim.setFaults({ apiLatencyMs: 0 });
    started = performance.now();
    await upsToken(sim);
    expect(performance.now() - started).toBeLessThan(140);
  });
});

describe('token lifetimes', () => {
  it('short lifetimes: expires_in follows tokenLifetimeSeconds and the API enforces it (real clock)', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT], faults: { tokenLifetimeSeconds: 1 } }));
    const reply = await upsToken(sim);
    expect((reply.body as { expires_in: string }).expires_in).toBe('1');
    const token = (reply.body as { access_token: string }).access_token;
    expect((await upsXav(sim, token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await upsXav(sim, token)).status).toBe(401);
    expect(sim.isAccessTokenValid(token)).toBe(false);
  });

  it('premature expiry: the API drops tokens long before expires_in says', async () => {
    const clock = manualClock();
    const sim = await track(
      startFedexSimulator({ clients: [CLIENT], clock, faults: { prematureExpirySeconds: 60 } }),
    );
    const reply = await call(
      `${sim.url}/oauth/token`,
      form({
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    );
    const body = reply.body as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(3599);
    clock.advance(59_000);
    expect(sim.isAccessTokenValid(body.access_token)).toBe(true);
    clock.advance(1_000);
    expect(sim.isAccessTokenValid(body.access_token)).toBe(false);
    const api = await call(
      `${sim.url}/track/v1/trackingnumbers`,
      postJson(
        { trackingInfo: [{ trackingNumberInfo: { trackingNumber: '1' } }] },
        {
          authorization: `Bearer ${body.access_token}`,
        },
      ),
    );
    expect(api.status).toBe(401);
    expect(api.body).toMatchObject({
      errors: [{ message: 'Access token expired. Please modify your request and try again.' }],
    });
  });
});

describe('clock skew', () => {
  it('shifts the Date header and issued_at, but not expiry judged by the server', async () => {
    const clock = manualClock(Date.UTC(2030, 0, 1, 12, 0, 0));
    const sim = await track(startUpsSimulator({ clients: [CLIENT], clock, faults: { skewSeconds: -300 } }));
    const reply = await upsToken(sim);
    expect(reply.headers.get('date')).toBe('Tue, 01 Jan 2030 11:55:00 GMT');
    expect((reply.body as { issued_at: string }).issued_at).toBe(String(Date.UTC(2030, 0, 1, 11, 55, 0)));
    expect(sim.isAccessTokenValid((reply.body as { access_token: string }).access_token)).toBe(true);

    // Every response carries the skewed Date, the 404s and control API included.
    expect((await call(`${sim.url}/nowhere`)).headers.get('date')).toBe('Tue, 01 Jan 2030 11:55:00 GMT');
    expect((await call(`${sim.url}/__sim/stats`)).headers.get('date')).toBe('Tue, 01 Jan 2030 11:55:00 GMT');
  });

  it('skews JWT iat/exp of the generic simulator', async () => {
    const clock = manualClock(Date.UTC(2030, 0, 1));
    const sim = await track(startOAuth2Simulator({ clients: [CLIENT], clock, faults: { skewSeconds: 120 } }));
    const reply = await call(
      `${sim.url}/oauth/token`,
      form(
        { grant_type: 'client_credentials' },
        { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      ),
    );
    const [, payload] = (reply.body as { access_token: string }).access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { iat: number };
    expect(claims.iat).toBe(Date.UTC(2030, 0, 1) / 1000 + 120);
  });
});

describe('countdowns and counters', () => {
  it('throttle and tokenServerErrors count down; requests are counted per client', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT, CLIENT2] }));
    await sim.setFaults({ throttle: { count: 2 }, tokenServerErrors: 1 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await upsToken(sim, i % 2 ? CLIENT2 : CLIENT)).status);
    expect(statuses).toEqual([429, 429, 503, 200]);
    expect(sim.faults.throttle.count).toBe(0);
    expect(sim.faults.tokenServerErrors).toBe(0);

    await call(`${sim.url}${UPS_PATHS.token}`, form({ grant_type: 'client_credentials' }));
    expect(sim.stats()).toMatchObject({
      tokenRequests: 5,
      tokensIssued: 1,
      tokenRequestsByClient: { c1: 2, c2: 2, '(none)': 1 },
    });
    sim.resetStats();
    expect(sim.stats()).toMatchObject({ tokenRequests: 0, tokenRequestsByClient: {} });
  });

  it('tests may flip the live faults object directly', async () => {
    const sim = await track(startUpsSimulator({ clients: [CLIENT] }));
    sim.faults.errorInSuccessBody = true;
    expect((await upsToken(sim)).body).toMatchObject({ response: { errors: [{ code: '10401' }] } });
    sim.faults.errorInSuccessBody = false;
    sim.faults.throttle.count = 1;
    expect((await upsToken(sim)).status).toBe(429);
    expect((await upsToken(sim)).status).toBe(200);
  });

  it('does not mutate the caller-provided throttle object or the carrier defaults', async () => {
    const throttle = { count: 1 };
    const sim = await track(startUpsSimulator({ clients: [CLIENT], faults: { throttle } }));
    await upsToken(sim);
    expect(throttle.count).toBe(1);
    await sim.resetFaults();
    expect(sim.faults.throttle.count).toBe(0);
  });
});
