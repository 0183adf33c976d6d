/**
 * @module test/ops/ops-scale.test
 * `/ops` in front of 10,000 accounts, in headless Chromium: the page fetches and draws one page
 * of 50, worst first, so the two failing accounts are on top whatever their ids; the document
 * and the answer it reads stay bounded (a whole-fleet answer is about 100 MB at 10,000 accounts);
 * a filter finds any account, "down or degraded" shows only those, and the pager moves on. The
 * list's query is checked in the API too (`sort=severity`, `limit`, `offset`, `q`, `status`).
 */
import { randomUUID } from 'node:crypto';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Gateway } from '../../src/gateway.js';
import { launchChromium } from '../support/chromium.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGateways, startTestGateway } from '../support/test-gateway.js';

// The browser globals the page.evaluate callbacks use (the project's tsconfig has no DOM lib).
declare const sessionStorage: { setItem(key: string, value: string): void };
declare const document: { documentElement: { outerHTML: string } };

const ACCOUNTS = 10_000;
const PAGE_SIZE = 50;
const ADMIN_KEY = `ops-scale-admin-${randomUUID()}`;
registerSecrets(ADMIN_KEY);
/** Two accounts whose token endpoint failed a minute ago, far down the configuration's order. */
const FAILING = ['ups-7321', 'ups-9998'];
/** What the drawn document and the page's answer may weigh (measured: 0.29 and 0.50 MB). */
const HTML_BOUND = 1_000_000;
const ANSWER_BOUND = 1_000_000;

let gateway: Gateway;
let baseUrl: string;
let browser: Browser;
let page: Page;

function fleetYaml(): string {
  const ids = Array.from({ length: ACCOUNTS }, (_, index) => `ups-${index}`);
  return JSON.stringify({
    listen: { port: 0, host: '127.0.0.1' },
    admins: [{ id: 'oncall', apiKey: ADMIN_KEY }],
    clients: [{ id: 'shop', apiKey: `ops-scale-shop-${randomUUID()}`, accounts: ids }],
    accounts: ids.map((id) => ({
      id,
      carrier: 'ups',
      // Never called: the page only reads health.
      urls: { token: 'http://127.0.0.1:9/security/v1/oauth/token', api: 'http://127.0.0.1:9' },
      credentials: { clientId: 'scale-client', clientSecret: 'ops-scale-secret-0123456789' },
    })),
  });
}

const list = async (query: string) => {
  const response = await fetch(`${baseUrl}/v1/health/carriers?${query}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const accountsOf = (body: Record<string, unknown>) =>
  (body['carriers'] as { account: string }[]).map((report) => report.account);

beforeAll(async () => {
  const gw = await startTestGateway({ yaml: fleetYaml(), name: 'ops-scale' });
  gateway = gw.gateway;
  baseUrl = gw.url;
  const minute = gateway.recorder.minute() - 1;
  for (const id of FAILING) {
    await gateway.recorder.history.add(id, minute, {
      failed: { token: 5 },
      classes: { 'token_endpoint.unreachable': 5 },
    });
  }
  browser = await launchChromium('the /ops scale test');
  page = await browser.newPage({ viewport: { width: 1760, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await closeTestGateways();
});

describe('the health list in pages', () => {
  it('answers a page worst first, with the totals of the whole fleet', { timeout: 90_000 }, async () => {
    const { status, body } = await list(`sort=severity&limit=${PAGE_SIZE}`);
    expect(status).toBe(200);
    expect(accountsOf(body)).toHaveLength(PAGE_SIZE);
    expect(accountsOf(body).slice(0, 2).sort()).toEqual(FAILING);
    expect(body['total']).toBe(ACCOUNTS);
    expect(body['counts']).toEqual({ down: 0, degraded: 2, healthy: ACCOUNTS - 2 });
    expect(body['nextOffset']).toBe(PAGE_SIZE);
    // The default order: account ids, paged by cursor (what the CLI reads), with q as well.
    const byId = await list('q=ups-12&limit=2');
    expect(accountsOf(byId.body)).toEqual(['ups-12', 'ups-120']);
    expect(typeof byId.body['nextCursor']).toBe('string');

    const next = await list(`sort=severity&limit=${PAGE_SIZE}&offset=${PAGE_SIZE}`);
    expect(accountsOf(next.body)).not.toContain(accountsOf(body)[PAGE_SIZE - 1]);
    expect(accountsOf((await list('sort=severity&status=failing&limit=10')).body).sort()).toEqual(FAILING);
    expect(accountsOf((await list('status=failing')).body)).toEqual(FAILING);
    const found = await list('sort=severity&q=UPS-999&limit=20');
    // ups-999 and ups-9990 to ups-9999, the failing ups-9998 first, then by id.
    const rest = ['ups-999', ...Array.from({ length: 10 }, (_, i) => `ups-${9990 + i}`)];
    expect(accountsOf(found.body)).toEqual(['ups-9998', ...rest.filter((id) => id !== 'ups-9998')]);
    expect(found.body['total']).toBe(11);
  });

  it('refuses a bad query with every bad field named', async () => {
    const { status, body } = await list('limit=0&status=sideways&colour=red');
    expect(status).toBe(400);
    expect(body['code']).toBe('ERR_QUERY_INVALID');
    const fields = (body['errors'] as { field: string }[]).map((error) => error.field).sort();
    expect(fields).toEqual(['(query)', 'limit', 'status']);
    // Each order has its own paging: offset for severity, cursor for ids.
    const mixed = await list('offset=50');
    expect(mixed.status).toBe(400);
    expect((mixed.body['errors'] as { field: string }[]).map((error) => error.field)).toEqual(['offset']);
  });
});

describe('/ops at 10,000 accounts', () => {
  it('draws one bounded page, the failing accounts on top', async () => {
    await page.addInitScript((key) => sessionStorage.setItem('carrier-gateway.ops.key', key), ADMIN_KEY);
    const answer = page.waitForResponse((response) => response.url().includes('/v1/health/carriers?'));
    await page.goto(`${baseUrl}/ops?refresh=3600`);
    const body = await (await answer).body();
    expect(body.length).toBeLessThan(ANSWER_BOUND);

    await expect.poll(() => page.locator('#rows tr').count(), { timeout: 30_000 }).toBe(PAGE_SIZE);
    const order = await page.locator('#rows tr').evaluateAll((rows) => rows.map((r) => r.dataset['account']));
    expect(order.slice(0, 2).sort()).toEqual(FAILING);
    expect(await page.locator('#summary').textContent()).toBe(
      `${ACCOUNTS} accounts · 2 degraded · ${ACCOUNTS - 2} healthy`,
    );
    expect(await page.locator('#range').textContent()).toBe(`1–${PAGE_SIZE} of ${ACCOUNTS}`);
    expect(await page.locator('#prev').isDisabled()).toBe(true);
    const html = await page.evaluate(() => document.documentElement.outerHTML.length);
    expect(html).toBeLessThan(HTML_BOUND);
  });

  it('finds an account by a filter, shows only the failing ones, and pages on', async () => {
    await page.locator('#filter').fill('ups-4711');
    await expect.poll(() => page.locator('#rows tr').count()).toBe(1);
    expect(await page.locator('#rows tr').getAttribute('data-account')).toBe('ups-4711');
    expect(await page.locator('#range').textContent()).toBe('1–1 of 1 matching');

    await page.locator('#filter').fill('');
    await page.locator('#show').selectOption('failing');
    await expect
      .poll(() => page.locator('#range').textContent(), { timeout: 15_000 })
      .toBe('1–2 of 2 matching');
    expect(await page.locator('#next').isDisabled()).toBe(true);

    await page.locator('#show').selectOption('');
    await expect.poll(() => page.locator('#range').textContent()).toBe(`1–${PAGE_SIZE} of ${ACCOUNTS}`);
    await page.getByRole('button', { name: `Next ${PAGE_SIZE}` }).click();
    await expect.poll(() => page.locator('#range').textContent()).toBe(`51–100 of ${ACCOUNTS}`);
    expect(await page.locator('#rows tr').count()).toBe(PAGE_SIZE);
    expect(await page.locator('#rows tr[data-account="ups-7321"]').count()).toBe(0);
    await page.getByRole('button', { name: `Previous ${PAGE_SIZE}` }).click();
    await expect.poll(() => page.locator('#range').textContent()).toBe(`1–${PAGE_SIZE} of ${ACCOUNTS}`);
  }, 90_000);
});
