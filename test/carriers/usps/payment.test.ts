/**
 * @module test/carriers/usps/payment
 *
 * Owns the proof that the USPS payment authorization token (`X-Payment-Authorization-Token` from
 * POST /payments/v3/payment-authorization, 8 h, carrier-auth-facts 5.6) is a dependent token the
 * engine caches, shares and refreshes: real gateways against the USPS simulator, in embedded mode
 * and with a real redis-server shared by two in-process gateways. One payment authorization
 * serves many labels; an access-token refresh keeps it; a new parent identity (another subject,
 * other roles) drops it; its rejection refreshes only it and replays an idempotent label once;
 * an account without `payment` gets ERR_DEPENDENT_TOKEN_NOT_CONFIGURED; no token value reaches a
 * response or a log.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import {
  USPS_PATHS,
  startUspsSimulator,
  uspsExampleLabelRequest,
  type UspsSimulatorHandle,
} from '../../../carriers/usps/simulator.js';
import { REPLAY_BODY_LIMIT_BYTES } from '../../../src/upstream/carrier-api.js';
import { manualClock } from '../../../src/sim/clock.js';
import { registerIssuedTokens, registerSecrets } from '../../support/log-capture.js';
import { TestRedis } from '../../support/redis-server.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../../support/test-gateway.js';
import { USPS_PAYMENT_ROLES } from './fixtures.js';
import { uspsAccount } from '../../support/shipping-accounts.js';

const CLIENT_KEY = `usps-pay-key-${randomUUID()}`;
const CLIENT = { clientId: 'usps-payer-client', clientSecret: `usps-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, CLIENT.clientSecret);

const OTHER_ROLES = [
  { ...USPS_PAYMENT_ROLES[0], accountNumber: '5678' },
  { roleName: 'LABEL_OWNER', CRID: '12345678', MID: '123456', manifestMID: '123456' },
];

const LABEL_REQUEST = uspsExampleLabelRequest();

/** Every answer a client got here (status, headers, body), for the leak check. */
const received: string[] = [];
const simulators: UspsSimulatorHandle[] = [];

async function startSim(
  options: Parameters<typeof startUspsSimulator>[0] = {},
): Promise<UspsSimulatorHandle> {
  const sim = await startUspsSimulator({ clients: [CLIENT], ...options });
  simulators.push(sim);
  return sim;
}

function account(sim: UspsSimulatorHandle, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return uspsAccount('usps-labels', sim, { ...CLIENT }, extra);
}

/** At most one rejection-driven renewal per account per second (src/upstream/rejection.ts). */
const RENEWAL_INTERVAL_MS = 1000;

const startGateway = (accountConfig: Record<string, unknown>, redis?: { url: string; keyPrefix: string }) =>
  startTestGateway({
    name: 'usps-payment',
    clientKey: CLIENT_KEY,
    accounts: [accountConfig],
    config: { auth: { youngTokenSeconds: 0, rejectionRefreshIntervalSeconds: RENEWAL_INTERVAL_MS / 1000 } },
    ...(redis ? { redis } : {}),
  });

async function keep(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = await response.text();
  received.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** A label POST through the gateway, JSON answer ([USPS-LABELS] application/vnd.usps.labels+json). */
async function createLabel(gw: TestGateway, headers: Record<string, string> = {}) {
  return keep(
    await fetch(`${gw.url}/v1/carriers/usps-labels${USPS_PATHS.label}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${CLIENT_KEY}`,
        'content-type': 'application/json',
        accept: 'application/vnd.usps.labels+json',
        ...headers,
      },
      body: JSON.stringify(LABEL_REQUEST),
    }),
  );
}

async function accountStatus(gw: TestGateway): Promise<Record<string, unknown>> {
  const reply = await keep(
    await fetch(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } }),
  );
  expect(reply.status).toBe(200);
  const all = (reply.body as unknown as { accounts?: Record<string, unknown>[] }).accounts ?? reply.body;
  const list = Array.isArray(all) ? all : [];
  return list.find((entry) => entry['account'] === 'usps-labels') as Record<string, unknown>;
}

function paymentStatus(status: Record<string, unknown>): Record<string, unknown> {
  const dependents = status['dependentTokens'] as Record<string, unknown>[];
  expect(dependents).toHaveLength(1);
  return dependents[0]!;
}

afterEach(closeTestGateways);

afterAll(async () => {
  registerIssuedTokens(...simulators);
  // No issued token (access or payment) in anything a client received.
  const issued = simulators.flatMap((sim) => sim.issuedTokens());
  expect(issued.length).toBeGreaterThan(0);
  for (const answer of received) for (const token of issued) expect(answer.includes(token)).toBe(false);
  expect(received.join('\n')).not.toContain(CLIENT.clientSecret);
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});

describe('usps payment authorization token (embedded mode)', () => {
  it('serves many concurrent labels with one payment authorization, and reports it without its value', async () => {
    const sim = await startSim();
    const gw = await startGateway(account(sim));
    const replies = await Promise.all(Array.from({ length: 20 }, () => createLabel(gw)));
    for (const reply of replies) expect(reply.status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(1);
    expect(sim.labelsCreated()).toBe(20);
    expect(sim.stats().tokenRequests).toBe(1);

    const payment = paymentStatus(await accountStatus(gw));
    expect(payment).toMatchObject({
      name: 'payment-authorization',
      header: 'X-Payment-Authorization-Token',
      configured: true,
      present: true,
      token: { generation: 1 },
    });
    const expiresIn = (payment['token'] as { expiresInSeconds: number }).expiresInSeconds;
    // 8 h ([USPS-PAY]), counted from the request.
    expect(expiresIn).toBeGreaterThan(8 * 3600 - 60);
    expect(expiresIn).toBeLessThanOrEqual(8 * 3600);
  });

  it('keeps the payment token across a forced access-token refresh', async () => {
    const sim = await startSim();
    const gw = await startGateway(account(sim));
    expect((await createLabel(gw)).status).toBe(200);
    const manager = gw.gateway.engine.tokenManager('usps-labels')!;
    const before = await manager.getToken();
    const after = await manager.invalidate(before.accessToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(sim.stats().tokenRequests).toBe(2);

    expect((await createLabel(gw)).status).toBe(200);
    // Same client, same subject, same roles: the payment token is still the parent's.
    expect(sim.paymentAuthorizationsIssued()).toBe(1);
    expect(paymentStatus(await accountStatus(gw))).toMatchObject({ token: { generation: 1 } });
  });

  it('drops the payment token when the parent identity changes (re-authorization by another subject)', async () => {
    const sim = await startSim();
    const seed = sim.issueRefreshToken(CLIENT.clientId);
    registerSecrets(seed);
    const gw = await startGateway(
      account(sim, { grant: 'authorization_code', credentials: { ...CLIENT, refreshToken: seed } }),
    );
    expect((await createLabel(gw)).status).toBe(200);
    expect((await createLabel(gw)).status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(1);

    const redirectUri = 'https://gateway.example/v1/oauth/callback';
    const code = sim.issueAuthorizationCode(CLIENT.clientId, redirectUri, { subject: 'another-customer' });
    registerSecrets(code);
    await gw.gateway.engine.tokenManager('usps-labels')!.completeAuthorization({
      kind: 'code',
      code,
      redirectUri,
    });

    expect((await createLabel(gw)).status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(2);
    expect(paymentStatus(await accountStatus(gw))).toMatchObject({ token: { generation: 2 } });
  });

  it('on a payment-token rejection refreshes only the payment token and replays an idempotent label once', async () => {
    const clock = manualClock();
    // Access tokens outlive the payment token here, so moving the carrier's clock past 8 h leaves
    // the access token valid and the payment token expired, while the gateway still holds both.
    const sim = await startSim({ clock, faults: { tokenLifetimeSeconds: 20 * 3600 } });
    const gw = await startGateway(account(sim));
    const key = randomUUID();
    const first = await createLabel(gw, { 'x-idempotency-key': key });
    expect(first.status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(1);

    clock.advance(8 * 3600 * 1000 + 60_000);
    const stats = sim.stats();
    const replay = await createLabel(gw, { 'x-idempotency-key': key });
    expect(replay.status).toBe(200);
    // The same label: the replay was deduplicated by its key ([USPS-LABELS]).
    expect(replay.body['trackingNumber']).toBe(first.body['trackingNumber']);
    expect(sim.labelsCreated()).toBe(1);
    expect(sim.paymentAuthorizationsIssued()).toBe(2);
    // The access token was not touched: no token request, one rejected label call plus its retry.
    expect(sim.stats().tokenRequests).toBe(stats.tokenRequests);
    expect(sim.stats().apiRequests - stats.apiRequests).toBe(3);

    clock.advance(8 * 3600 * 1000 + 60_000);
    // The renewal budget the first rejection spent is back.
    await new Promise((resolve) => setTimeout(resolve, RENEWAL_INTERVAL_MS + 100));
    // Without an idempotency key a POST is not replayed: the carrier's answer passes through and
    // the payment token is dropped for the next call.
    const bare = await createLabel(gw);
    expect(bare.status).toBe(401);
    expect(JSON.stringify(bare.body)).toContain('X-Payment-Authorization-Token');
    await gw.gateway.engine.dependentFor('usps-labels', USPS_PATHS.label)!.whenIdle();
    expect(sim.stats().tokenRequests).toBe(stats.tokenRequests);
    expect((await createLabel(gw)).status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(3);
  });

  it('refuses a replayable label body over the replay limit with ERR_BODY_TOO_LARGE, sending nothing', async () => {
    const sim = await startSim();
    const gw = await startGateway(account(sim));
    const response = await fetch(`${gw.url}/v1/carriers/usps-labels${USPS_PATHS.label}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${CLIENT_KEY}`,
        'content-type': 'application/json',
        'x-idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ ...LABEL_REQUEST, padding: 'x'.repeat(REPLAY_BODY_LIMIT_BYTES) }),
    });
    const reply = await keep(response);
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ code: 'ERR_BODY_TOO_LARGE', account: 'usps-labels' });
    expect(sim.labelsCreated()).toBe(0);
  });

  it('answers a label call without payment configured with ERR_DEPENDENT_TOKEN_NOT_CONFIGURED, and sends nothing', async () => {
    const sim = await startSim();
    const gw = await startGateway(account(sim, { payment: undefined }));
    const reply = await createLabel(gw);
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ code: 'ERR_DEPENDENT_TOKEN_NOT_CONFIGURED', account: 'usps-labels' });
    expect(String(reply.body['detail'])).toContain('payment');
    expect(sim.paymentAuthorizationsIssued()).toBe(0);
    expect(sim.labelsCreated()).toBe(0);
    expect(paymentStatus(await accountStatus(gw))).toMatchObject({ configured: false, present: false });

    // A client that obtained its own payment token (through the proxy) still passes it as it is.
    const own = await keep(
      await fetch(`${gw.url}/v1/carriers/usps-labels${USPS_PATHS.paymentAuthorization}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ roles: USPS_PAYMENT_ROLES }),
      }),
    );
    expect(own.status).toBe(200);
    const ownToken = own.body['paymentAuthorizationToken'] as string;
    registerSecrets(ownToken);
    received.pop(); // that answer carries a payment token by design: the client asked for one
    expect((await createLabel(gw, { 'x-payment-authorization-token': ownToken })).status).toBe(200);
    expect(sim.labelsCreated()).toBe(1);

    // Other USPS paths need no payment token.
    const city = await keep(
      await fetch(`${gw.url}/v1/carriers/usps-labels${USPS_PATHS.cityState}?ZIPCode=10001`, {
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
      }),
    );
    expect(city.status).toBe(200);
  });
});

describe('usps payment authorization token shared through redis', () => {
  const redis = TestRedis.forSuite();

  it('two gateways share one payment authorization; other roles (another identity) get their own', async () => {
    const sim = await startSim();
    const shared = { url: redis.url, keyPrefix: `pay-${randomUUID()}:` };
    const a = await startGateway(account(sim), shared);
    const b = await startGateway(account(sim), shared);
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, index) => createLabel(index % 2 === 0 ? a : b)),
    );
    for (const reply of replies) expect(reply.status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(1);
    expect(sim.stats().tokenRequests).toBe(1);

    // Same client, same subject, other roles: the stored payment token is not this identity's.
    const c = await startGateway(account(sim, { payment: { roles: OTHER_ROLES } }), shared);
    expect((await createLabel(c)).status).toBe(200);
    expect(sim.paymentAuthorizationsIssued()).toBe(2);
    expect(sim.stats().tokenRequests).toBe(1);
    expect(paymentStatus(await accountStatus(c))).toMatchObject({ present: true, token: { generation: 2 } });
  });
});
