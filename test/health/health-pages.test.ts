/**
 * @module test/health/health-pages
 * `GET /v1/health/carriers` in pages, on a 10,000-account gateway (in-process requests to its
 * app): following `nextCursor` visits every account exactly once, in id order; `status` keeps
 * the accounts with that status only, across pages; a client key pages through its own accounts;
 * `q` and `status=failing` narrow it; `sort=severity` answers worst first, paged by `offset`, with
 * `total` and `counts`; a bad `limit`, `cursor`, `offset`, `sort` or `status`, paging that is not
 * the order's, or an unknown parameter, is refused with ERR_QUERY_INVALID.
 * The answer time at 10,000 accounts is a figure of the scale bench (bench/scale.ts), not a test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const ACCOUNTS = 10_000;
const ADMIN_KEY = 'health-pages-admin-key-0123456789';
const SHOP_KEY = 'health-pages-shop-key-0123456789';
const SHOP_ACCOUNTS = ['ups-00003', 'ups-00042', 'ups-09999'];
/** Accounts whose token requests failed in the last hour: `degraded` (token success rate 0). */
const FAILING = ['ups-00017', 'ups-04000', 'ups-09998'];

const ids = Array.from({ length: ACCOUNTS }, (_, index) => `ups-${String(index).padStart(5, '0')}`);
let instance: TestGateway;

beforeAll(async () => {
  instance = await startTestGateway({
    name: 'health-pages',
    listen: false,
    admins: [{ id: 'oncall', apiKey: ADMIN_KEY }],
    clients: [{ apiKey: SHOP_KEY, accounts: SHOP_ACCOUNTS }],
    accounts: ids.map((id) => ({
      id,
      carrier: 'ups',
      urls: { token: 'http://127.0.0.1:9/security/v1/oauth/token', api: 'http://127.0.0.1:9' },
      credentials: { clientId: 'pages-client', clientSecret: 'health-pages-secret-0123456789' },
    })),
  });
  for (const account of FAILING) {
    instance.gateway.recorder.record({
      account,
      source: 'token',
      ok: false,
      failureClass: 'token_endpoint.unreachable',
    });
  }
}, 60_000);

afterAll(() => closeTestGateways());

interface Page {
  carriers: { account: string; status: string }[];
  nextCursor: string | null;
}

async function get(path: string, key = ADMIN_KEY): Promise<{ status: number; type: string; body: unknown }> {
  const response = await instance.gateway.app.request(path, { headers: { authorization: `Bearer ${key}` } });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.json(),
  };
}

/** Every page from the first, following nextCursor; the accounts in the order they came. */
async function allPages(
  query: string,
  key = ADMIN_KEY,
): Promise<{ accounts: Page['carriers']; pages: number }> {
  const accounts: Page['carriers'] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const answer = await get(
      `/v1/health/carriers?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      key,
    );
    expect(answer.status).toBe(200);
    const page = answer.body as Page;
    accounts.push(...page.carriers.map(({ account, status }) => ({ account, status })));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null);
  return { accounts, pages };
}

describe('GET /v1/health/carriers in pages', () => {
  it('answers 100 reports by default, with a cursor to the next page', async () => {
    const answer = await get('/v1/health/carriers');
    const page = answer.body as Page;
    expect(page.carriers.map((report) => report.account)).toEqual(ids.slice(0, 100));
    expect(typeof page.nextCursor).toBe('string');
  });

  it('visits each of the 10,000 accounts exactly once, in id order', async () => {
    const { accounts, pages } = await allPages('limit=1000');
    expect(pages).toBe(10);
    expect(accounts.map((report) => report.account)).toEqual(ids);
  }, 120_000);

  it('filters by status across pages', async () => {
    const degraded = await allPages('limit=2&status=degraded');
    expect(degraded.accounts).toEqual(FAILING.map((account) => ({ account, status: 'degraded' })));
    const down = await allPages('limit=1000&status=down');
    expect(down.accounts).toEqual([]);
    const healthy = await allPages('limit=1000&status=healthy');
    expect(healthy.accounts.map((report) => report.account)).toEqual(
      ids.filter((id) => !FAILING.includes(id)),
    );
  }, 120_000);

  it('filters by q and by failing (down or degraded) in id order', async () => {
    expect((await allPages('limit=1000&status=failing')).accounts.map((r) => r.account)).toEqual(FAILING);
    const found = await allPages('limit=5&q=UPS-0999');
    expect(found.accounts.map((report) => report.account)).toEqual(
      ids.filter((id) => id.startsWith('ups-0999')),
    );
  }, 60_000);

  it('answers worst first with sort=severity, paged by offset, with total and counts', async () => {
    const first = (await get('/v1/health/carriers?sort=severity&limit=5')).body as Page &
      Record<string, unknown>;
    // The three degraded accounts on top (equal scores: by id), then the healthy ones by id.
    expect(first.carriers.map((report) => report.account)).toEqual([...FAILING, ids[0], ids[1]]);
    expect(first).toMatchObject({
      total: ACCOUNTS,
      counts: { down: 0, degraded: 3, healthy: ACCOUNTS - 3 },
      nextOffset: 5,
    });
    expect(first).not.toHaveProperty('nextCursor');
    const second = (await get('/v1/health/carriers?sort=severity&limit=5&offset=5')).body as Page;
    expect(second.carriers.map((report) => report.account)).toEqual(ids.slice(2, 7));
    const last = (await get(`/v1/health/carriers?sort=severity&limit=5&offset=${ACCOUNTS - 2}`)).body;
    expect(last).toMatchObject({ nextOffset: null });
    expect((last as Page).carriers.map((report) => report.account)).toEqual(
      ids.filter((id) => !FAILING.includes(id)).slice(-2),
    );

    const failing = await get('/v1/health/carriers?sort=severity&status=failing&q=00');
    expect(failing.body).toMatchObject({ total: 2, counts: { degraded: 3 }, nextOffset: null });
    expect((failing.body as Page).carriers.map((report) => report.account)).toEqual(FAILING.slice(0, 2));
    const healthy = await get('/v1/health/carriers?sort=severity&status=healthy&limit=1');
    expect(healthy.body).toMatchObject({ total: ACCOUNTS - 3 });
  });

  it("pages through a client key's own accounts only", async () => {
    const { accounts, pages } = await allPages('limit=2', SHOP_KEY);
    expect(pages).toBe(2);
    expect(accounts.map((report) => report.account)).toEqual(SHOP_ACCOUNTS);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['cursor=%%%', 'cursor'],
    ['status=broken', 'status'],
    ['sort=score', 'sort'],
    ['order=severity', '(query)'],
    ['offset=50', 'offset'],
    ['sort=severity&offset=-1', 'offset'],
    [`sort=severity&cursor=${Buffer.from('h1:ups-00001').toString('base64url')}`, 'cursor'],
  ])('refuses %s with ERR_QUERY_INVALID naming %s', async (query, field) => {
    const answer = await get(`/v1/health/carriers?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.body).toMatchObject({
      code: 'ERR_QUERY_INVALID',
      errors: [expect.objectContaining({ field })],
    });
  });
});
