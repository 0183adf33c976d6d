/**
 * @module test/security/problem-bodies
 * When a carrier's token endpoint fails, the client's problem body keeps the carrier's own
 * error code (`carrierCode`, for support tickets) and HTTP status, but never the carrier's
 * message text: carrier messages are free text the gateway does not control, and can name
 * accounts or credentials. Covers UPS and FedEx invalid_client, a UPS error inside a 200, UPS
 * throttling and 5xx, and a secret rotated while the gateway was already serving traffic.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import { manualClock } from '../../src/sim/index.js';
import type { SimFaults, SimulatorHandle } from '../../src/sim/types.js';
import {
  SHOP_KEY,
  bearer,
  call,
  fedexAccount,
  observeTokens,
  problemOfReply,
  startProxyGateway,
  upsAccount,
  type RunningGateway,
} from '../proxy/helpers.js';
import { registerSecrets } from '../support/log-capture.js';

const SECRET = 'carrier-secret-0123456789';
const ROTATED = 'carrier-secret-rotated-9876543210';
registerSecrets(SECRET, ROTATED);

/** Message texts the simulators put next to their codes (carriers/*\/simulator.ts). */
const UPS_MESSAGES = [
  'ClientId is Invalid',
  'Too Many Requests',
  'Service Unavailable',
  'Internal Server Error',
];
const FEDEX_MESSAGES = [
  'The given client credentials were not valid',
  'Please modify your request and try again',
  'The service is currently unavailable',
];

/** One attempt: each test is about what one carrier answer becomes. */
const ONE_ATTEMPT = {
  manager: { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } },
};

describe('problem bodies for carrier token failures', () => {
  let sim: SimulatorHandle | undefined;
  let gw: RunningGateway | undefined;

  afterEach(async () => {
    await gw?.close();
    await sim?.close();
    gw = undefined;
    sim = undefined;
  });

  async function upsGateway(faults: Partial<SimFaults> = {}, clock?: () => number): Promise<RunningGateway> {
    sim = await startUpsSimulator({
      clients: [{ clientId: 'cid', clientSecret: SECRET }],
      faults,
      ...(clock ? { clock } : {}),
    });
    return startProxyGateway(
      [upsAccount('ups-main', sim, sim.url, { credentials: { clientId: 'cid', clientSecret: SECRET } })],
      { engine: ONE_ATTEMPT },
    );
  }

  async function fedexGateway(): Promise<RunningGateway> {
    sim = await startFedexSimulator({ clients: [{ clientId: 'fx-key', clientSecret: SECRET }] });
    return startProxyGateway(
      [
        {
          ...fedexAccount('fedex-main', sim, sim.url),
          credentials: { clientId: 'fx-key', clientSecret: SECRET },
        },
      ],
      { engine: ONE_ATTEMPT },
    );
  }

  const upsTrack = (running: RunningGateway) =>
    call(`${running.url}/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784`, {
      headers: bearer(SHOP_KEY),
    });

  function expectNoCarrierText(text: string, messages: string[]): void {
    for (const message of messages) expect(text).not.toContain(message);
  }

  it('UPS invalid_client after a secret rotation: carrierCode 10401, no message', async () => {
    gw = await upsGateway();
    sim!.rotateSecret('cid', ROTATED);
    const reply = await upsTrack(gw);
    expect(reply.status).toBe(502);
    expect(problemOfReply(reply)).toMatchObject({
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: '10401',
      upstreamStatus: 401,
      account: 'ups-main',
    });
    expectNoCarrierText(reply.text, UPS_MESSAGES);
  });

  it('FedEx invalid_client: carrierCode NOT.AUTHORIZED.ERROR, no message', async () => {
    gw = await fedexGateway();
    sim!.rotateSecret('fx-key', ROTATED);
    const reply = await call(`${gw.url}/v1/carriers/fedex-main/track/v1/trackingnumbers`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reply.status).toBe(502);
    expect(problemOfReply(reply)).toMatchObject({
      code: 'ERR_TOKEN_INVALID_CLIENT',
      carrierCode: 'NOT.AUTHORIZED.ERROR',
      upstreamStatus: 401,
    });
    expectNoCarrierText(reply.text, FEDEX_MESSAGES);
  });

  it('FedEx 503 at the token endpoint: carrierCode kept, message dropped', async () => {
    gw = await fedexGateway();
    await sim!.setFaults({ tokenServerErrors: 5, tokenServerErrorStatus: 503 });
    const reply = await call(`${gw.url}/v1/carriers/fedex-main/track/v1/trackingnumbers`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reply.status).toBe(502);
    const problem = problemOfReply(reply);
    expect(problem).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_SERVER_ERROR', upstreamStatus: 503 });
    expect(problem.carrierCode).toMatch(/^[A-Z.]+$/);
    expectNoCarrierText(reply.text, FEDEX_MESSAGES);
  });

  it.each<[string, Partial<SimFaults>, string, number, string, number?]>([
    [
      'an error inside a 200',
      { errorInSuccessBody: true },
      'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
      502,
      '10401',
      200,
    ],
    ['throttling', { throttle: { count: 5 } }, 'ERR_TOKEN_ENDPOINT_THROTTLED', 503, '10429', 429],
    [
      'a 500',
      { tokenServerErrors: 5, tokenServerErrorStatus: 500 },
      'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
      502,
      '10500',
      500,
    ],
  ])(
    'UPS %s: carrierCode kept, message dropped',
    async (_name, faults, code, status, carrierCode, upstream) => {
      gw = await upsGateway(faults);
      const reply = await upsTrack(gw);
      expect(reply.status).toBe(status);
      expect(problemOfReply(reply)).toMatchObject({ code, carrierCode, upstreamStatus: upstream });
      expectNoCarrierText(reply.text, UPS_MESSAGES);
    },
  );

  it('a secret rotated while serving: the retry after a rejected token fails as a clean problem', async () => {
    const clock = manualClock();
    gw = await upsGateway({}, clock);
    expect((await upsTrack(gw)).status).toBe(200);
    observeTokens(gw.gateway, 'ups-main');
    // The carrier now drops the cached token early, and the old secret no longer gets a new one.
    sim!.rotateSecret('cid', ROTATED);
    await sim!.setFaults({ prematureExpirySeconds: 60 });
    clock.advance(61_000);

    const reply = await upsTrack(gw);
    expect(reply.status).toBe(502);
    expect(problemOfReply(reply)).toMatchObject({ code: 'ERR_TOKEN_INVALID_CLIENT', carrierCode: '10401' });
    expectNoCarrierText(reply.text, UPS_MESSAGES);
    // Nor does the carrier's 401 for the rejected token leak through: its body was held back for the retry.
    expect(reply.text).not.toContain('250002');
    expect(reply.text).not.toContain('Invalid Authentication Information');

    // The account status keeps the code for operators, still without the text.
    const status = await call(`${gw.url}/v1/accounts`, { headers: bearer(SHOP_KEY) });
    expect(JSON.parse(status.text)).toMatchObject({
      accounts: [
        { lastRefresh: { outcome: 'failure', code: 'ERR_TOKEN_INVALID_CLIENT', carrierCode: '10401' } },
      ],
    });
    expectNoCarrierText(status.text, UPS_MESSAGES);
  });
});
