/**
 * @module test/http/routes.test
 * The hono routes other than the proxy, in-process with `app.request` (no port): liveness and
 * readiness (embedded, and on a real redis-server that is then killed), the 404 route, the client
 * key on `/v1/accounts`, what `POST /v1/shipments` refuses before anything is claimed or sent, who
 * sees what on `/v1/health/carriers`, and the admin routes' key and body checks (a refused body is
 * audited and changes nothing). Every refusal is the one problem+json envelope with its stable
 * code, and no key appears in an answer.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GatewayErrorCode } from '../../src/core/errors.js';
import { eventually } from '../support/eventually.js';
import type { Problem } from '../support/gateway-client.js';
import { inProcessApp, type InProcessApp } from '../support/in-process-app.js';
import { freePort, TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const SHOP_KEY = `routes-shop-key-${randomUUID()}`;
const OTHER_KEY = `routes-other-key-${randomUUID()}`;
const ADMIN_KEY = `routes-admin-key-${randomUUID()}`;
const KEYS = [SHOP_KEY, OTHER_KEY, ADMIN_KEY];

let closed: number;
let gw: TestGateway;
let subject: InProcessApp;

/** Accounts whose carrier is a port nothing listens on: no route here may call a carrier. */
const account = (id: string, carrier: 'ups' | 'fedex') => ({
  id,
  carrier,
  urls: { token: `http://127.0.0.1:${closed}/token`, api: `http://127.0.0.1:${closed}` },
  credentials: { clientId: `${id}-client`, clientSecret: `${id}-secret-${randomUUID()}` },
});

function request(
  path: string,
  init: { method?: string; key?: string; body?: string; headers?: Record<string, string> } = {},
) {
  return subject.app.request(path, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key !== undefined ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

/** The one envelope of every refusal: problem+json, the catalogue's status, code and type, no key. */
async function expectProblem(response: Response, code: GatewayErrorCode, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const text = await response.text();
  for (const key of KEYS) expect(text).not.toContain(key);
  const problem = JSON.parse(text) as Problem;
  expect(problem).toMatchObject({ status, code, type: expect.stringMatching(new RegExp(`${code}$`)) });
  expect(problem.title.length).toBeGreaterThan(0);
  return problem;
}

beforeAll(async () => {
  closed = await freePort();
  gw = await startTestGateway({
    name: 'routes',
    listen: false,
    admins: [{ id: 'oncall-erin', apiKey: ADMIN_KEY }],
    clients: [
      { apiKey: SHOP_KEY, accounts: ['ups-main', 'fedex-main'] },
      { id: 'other', apiKey: OTHER_KEY, accounts: ['fedex-other'] },
    ],
    accounts: [account('ups-main', 'ups'), account('fedex-main', 'fedex'), account('fedex-other', 'fedex')],
  });
  subject = inProcessApp(gw);
});

afterAll(closeTestGateways);

describe('liveness, readiness and unknown routes', () => {
  it('GET /healthz: alive, no key needed', async () => {
    const response = await request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'alive' });
  });

  it('GET /readyz in embedded mode: ready without Redis', async () => {
    const response = await request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      mode: 'embedded',
      redis: 'not configured',
      capabilities: { passThrough: { state: 'ready' } },
    });
  });

  it('an unknown route is ERR_ROUTE_NOT_FOUND; under /v1 the client key is asked for first', async () => {
    await expectProblem(await request('/nope'), 'ERR_ROUTE_NOT_FOUND', 404);
    await expectProblem(await request('/v1/nope', { key: SHOP_KEY }), 'ERR_ROUTE_NOT_FOUND', 404);
    await expectProblem(await request('/v1/nope'), 'ERR_UNAUTHENTICATED', 401);
  });
});

describe('GET /readyz on a real Redis', () => {
  let redis: TestRedis;
  let shared: InProcessApp;

  beforeAll(async () => {
    redis = await TestRedis.start();
    const sharedGateway = await startTestGateway({
      name: 'routes-redis',
      listen: false,
      redis,
      clientKey: SHOP_KEY,
      accounts: [account('ups-main', 'ups')],
    });
    shared = inProcessApp(sharedGateway);
  });
  afterAll(async () => {
    await redis?.kill();
  });

  // A Redis blip must not take every replica out at once (src/lifecycle/readiness.ts): a
  // client-credentials account is still served from memory (test/lifecycle/readiness.test.ts
  // covers shipments and onboarding).
  it('ready while Redis answers; degraded but still 200 once it is gone', async () => {
    const up = await shared.app.request('/readyz');
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: 'ready', mode: 'shared', redis: 'up' });
    await redis.kill();
    const down = await eventually(
      async () => {
        const response = await shared.app.request('/readyz');
        expect(await response.clone().json()).toMatchObject({ redis: 'down' });
        return response;
      },
      { what: 'readyz reports Redis gone' },
    );
    expect(down.status).toBe(200);
    expect(await down.json()).toMatchObject({
      status: 'degraded',
      mode: 'shared',
      redis: 'down',
      capabilities: { passThrough: { state: 'degraded' } },
    });
  });
});

describe('GET /v1/accounts', () => {
  it('needs a client key as a Bearer credential; a wrong one, another scheme or an admin key is refused', async () => {
    await expectProblem(await request('/v1/accounts'), 'ERR_UNAUTHENTICATED', 401);
    await expectProblem(
      await request('/v1/accounts', { key: 'wrong-key-0123456789' }),
      'ERR_UNAUTHENTICATED',
      401,
    );
    const basic = `Basic ${Buffer.from(`shop:${SHOP_KEY}`).toString('base64')}`;
    await expectProblem(
      await request('/v1/accounts', { headers: { authorization: basic } }),
      'ERR_UNAUTHENTICATED',
      401,
    );
    await expectProblem(await request('/v1/accounts', { key: ADMIN_KEY }), 'ERR_UNAUTHENTICATED', 401);
  });

  it("lists the client's own accounts in its order, with no token", async () => {
    const response = await request('/v1/accounts', { key: SHOP_KEY });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { accounts: { account: string; token: unknown }[] };
    expect(body.accounts.map((entry) => entry.account)).toEqual(['ups-main', 'fedex-main']);
    for (const entry of body.accounts) expect(entry.token).toBeNull();
  });
});

describe('POST /v1/shipments refuses bad input before anything is claimed or sent', () => {
  const post = (
    body: string,
    headers: Record<string, string> = { 'idempotency-key': randomUUID() },
    key = SHOP_KEY,
  ) => request('/v1/shipments', { method: 'POST', key, body, headers });

  it('without a client key', async () => {
    await expectProblem(
      await request('/v1/shipments', { method: 'POST', body: JSON.stringify(SHIPMENT) }),
      'ERR_UNAUTHENTICATED',
      401,
    );
  });

  it('without an Idempotency-Key, or with one that is not printable ASCII', async () => {
    const missing = await expectProblem(
      await post(JSON.stringify(SHIPMENT), {}),
      'ERR_IDEMPOTENCY_KEY_INVALID',
      400,
    );
    expect(missing.detail).toContain('Idempotency-Key');
    await expectProblem(
      await post(JSON.stringify(SHIPMENT), { 'idempotency-key': 'x'.repeat(256) }),
      'ERR_IDEMPOTENCY_KEY_INVALID',
      400,
    );
  });

  it('a body that is not JSON', async () => {
    const problem = await expectProblem(await post('{"service":'), 'ERR_REQUEST_INVALID', 400);
    expect(problem.detail).toBe('the body must be a JSON object');
  });

  it('a shipment the schema refuses, every bad field named', async () => {
    const bad = { ...SHIPMENT, service: 'overnight', parcels: [] };
    const problem = await expectProblem(await post(JSON.stringify(bad)), 'ERR_REQUEST_INVALID', 400);
    expect(problem.errors?.map((error) => error.field)).toEqual(
      expect.arrayContaining(['service', 'parcels']),
    );
  });

  it('a body over the limit', async () => {
    const huge = JSON.stringify({ ...SHIPMENT, reference: 'x'.repeat(300 * 1024) });
    await expectProblem(await post(huge), 'ERR_BODY_TOO_LARGE', 413);
  });

  it('none of them reached the shipment service; a good one does', async () => {
    expect(subject.shipmentsReceived()).toBe(0);
    const response = await post(JSON.stringify(SHIPMENT));
    expect(response.status).toBe(201);
    expect(subject.shipmentsReceived()).toBe(1);
  });
});

describe('GET /v1/health/carriers', () => {
  const accountsIn = async (response: Response) => {
    expect(response.status).toBe(200);
    const body = (await response.json()) as { carriers: { account: string }[] };
    return body.carriers.map((carrier) => carrier.account).sort();
  };

  it('an admin key sees every account, a client key its own, no key nothing', async () => {
    expect(await accountsIn(await request('/v1/health/carriers', { key: ADMIN_KEY }))).toEqual([
      'fedex-main',
      'fedex-other',
      'ups-main',
    ]);
    expect(await accountsIn(await request('/v1/health/carriers', { key: SHOP_KEY }))).toEqual([
      'fedex-main',
      'ups-main',
    ]);
    expect(await accountsIn(await request('/v1/health/carriers', { key: OTHER_KEY }))).toEqual([
      'fedex-other',
    ]);
    await expectProblem(await request('/v1/health/carriers'), 'ERR_UNAUTHENTICATED', 401);
    await expectProblem(
      await request('/v1/health/carriers', { key: 'wrong-key-0123456789' }),
      'ERR_UNAUTHENTICATED',
      401,
    );
  });

  it("one account: another client's answers exactly as an unknown one (404, the same body)", async () => {
    const own = await request('/v1/health/carriers/fedex-other', { key: OTHER_KEY });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ account: 'fedex-other', carrier: 'fedex' });
    const others = await expectProblem(
      await request('/v1/health/carriers/ups-main', { key: OTHER_KEY }),
      'ERR_ACCOUNT_NOT_FOUND',
      404,
    );
    expect(others.account).toBe('ups-main');
    const unknownToClient = await expectProblem(
      await request('/v1/health/carriers/ups-mainx', { key: OTHER_KEY }),
      'ERR_ACCOUNT_NOT_FOUND',
      404,
    );
    expect({
      ...unknownToClient,
      account: 'ups-main',
      instance: (others as { instance?: string }).instance,
    }).toEqual(others);
    const unknown = await expectProblem(
      await request('/v1/health/carriers/nope', { key: ADMIN_KEY }),
      'ERR_ACCOUNT_NOT_FOUND',
      404,
    );
    expect(unknown.account).toBe('nope');
  });
});

describe('admin routes', () => {
  /** `key` null sends no Authorization header. */
  const admin = (method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY) =>
    request(path, {
      method,
      ...(key !== null ? { key } : {}),
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  const override = () => gw.gateway.overrides.current('ups-main');

  it('need an admin key: none, a wrong one or a client key is ERR_ADMIN_UNAUTHENTICATED', async () => {
    for (const key of [null, 'wrong-admin-key-0123456789', SHOP_KEY]) {
      await expectProblem(
        await admin('POST', '/v1/admin/accounts/ups-main/drain', { reason: 'x' }, key),
        'ERR_ADMIN_UNAUTHENTICATED',
        401,
      );
      await expectProblem(
        await admin('GET', '/v1/admin/audit', undefined, key),
        'ERR_ADMIN_UNAUTHENTICATED',
        401,
      );
    }
  });

  it('refuse a bad body naming each field, audit the refusal, and change nothing', async () => {
    const before = gw.gateway.overrides.version('ups-main');
    const noReason = await expectProblem(
      await admin('POST', '/v1/admin/accounts/ups-main/failover', { to: 'fedex-main' }),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(noReason.errors).toEqual([{ field: 'reason', message: expect.any(String) }]);
    const badMode = await expectProblem(
      await admin('POST', '/v1/admin/accounts/ups-main/breaker', { mode: 'half', reason: 'x' }),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(badMode.errors?.map((error) => error.field)).toEqual(['mode']);
    const unknownField = await expectProblem(
      await admin('POST', '/v1/admin/accounts/ups-main/drain', { reason: 'x', forever: true }),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(unknownField.detail).toContain('forever');
    const notJson = await expectProblem(
      await admin('POST', '/v1/admin/accounts/ups-main/drain', '{"reason":'),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(notJson.detail).toBe('the body must be a JSON object');
    await expectProblem(
      await admin('POST', '/v1/admin/config/reload', { reason: '' }),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(gw.gateway.overrides.version('ups-main')).toBe(before);
    expect(override()).toMatchObject({ drained: false, breaker: 'auto' });

    const audited = await subject.audit.list({ limit: 100 });
    expect(audited.map((entry) => [entry.admin, entry.action, entry.result.ok])).toEqual(
      expect.arrayContaining([
        ['oncall-erin', 'failover', false],
        ['oncall-erin', 'breaker', false],
        ['oncall-erin', 'drain', false],
        ['oncall-erin', 'reload', false],
      ]),
    );
  });

  it('an unknown account is ERR_ACCOUNT_NOT_FOUND; a bad audit query names the parameter', async () => {
    await expectProblem(
      await admin('POST', '/v1/admin/accounts/nope/drain', { reason: 'x' }),
      'ERR_ACCOUNT_NOT_FOUND',
      404,
    );
    const query = await expectProblem(
      await admin('GET', '/v1/admin/audit?limit=0'),
      'ERR_REQUEST_INVALID',
      400,
    );
    expect(query.errors?.map((error) => error.field)).toEqual(['limit']);
  });

  it('a valid action applies and answers without caching', async () => {
    const response = await admin('POST', '/v1/admin/accounts/ups-main/drain', { reason: 'maintenance' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ account: 'ups-main', override: { drained: true } });
    expect(override().drained).toBe(true);
    expect((await admin('DELETE', '/v1/admin/accounts/ups-main/drain')).status).toBe(200);
    expect(override().drained).toBe(false);
  });
});
