/**
 * @module test/abuse/health-truth
 * Issue 12, point 11: a client's own 4xx (a path the carrier does not have, a body it refuses)
 * is the carrier answering as documented, not a carrier failure: the account's health keeps no
 * failure for it, names no current failure class and links no carrier-outage runbook, while a
 * carrier 5xx still counts.
 */
import { describe, expect, it } from 'vitest';

import { SHOP_KEY, bearer, call, startProxyGateway, upsAccount, useUpsStub } from '../proxy/helpers.js';

// The carrier's answers by path: 404 for a path it lacks, 400 for a body it refuses, 503 down.
const rig = useUpsStub(
  ({ sim, stub }) => startProxyGateway([upsAccount('ups-main', sim, stub.url)]),
  (recorded, res) => {
    const status = recorded.url.includes('/missing')
      ? 404
      : recorded.url.includes('/invalid')
        ? 400
        : recorded.url.includes('/down')
          ? 503
          : 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status }));
  },
);

const send = (path: string, method = 'GET') =>
  call(`${rig.gw.url}/v1/carriers/ups-main${path}`, {
    method,
    headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });

async function report() {
  await rig.gw.gateway.recorder.flush();
  return rig.gw.gateway.health.report('ups-main');
}

describe('health truth', () => {
  it("a client's own 404s and 400s are not carrier failures", async () => {
    for (let i = 0; i < 6; i += 1) {
      expect((await send(`/api/missing/${i}`)).status).toBe(404);
      expect((await send('/api/invalid', 'POST')).status).toBe(400);
    }
    expect((await send('/api/ok')).status).toBe(200);
    const health = await report();
    expect(health.failures['5m']).toEqual({});
    expect(health.currentFailureClass).toBeNull();
    expect(health.runbook).toBeNull();
  });

  it('a carrier 5xx still counts, with its runbook', async () => {
    expect((await send('/api/down')).status).toBe(503);
    const health = await report();
    expect(health.failures['5m']['downstream.server_error']).toBe(1);
    expect(health.runbook).toMatch(/carrier-api-outage/);
  });
});
