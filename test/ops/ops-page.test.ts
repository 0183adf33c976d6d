/**
 * @module test/ops/ops-page.test
 * The operations page in a real headless browser: Debian's Chromium (/usr/bin/chromium, which
 * .ci/run installs) driven by playwright-core, against an embedded gateway in front of the UPS and
 * FedEx simulators. The page asks for a key and renders every account; an auth outage induced at
 * UPS shows on its row within one refresh; a failed refresh raises the error banner; the CSP
 * holds (the page's own script and style run, nothing is reported as a violation). A screenshot
 * is kept in test-artifacts/ops.png.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Gateway } from '../../src/gateway.js';
import { LATENCY_BOUNDS_MS, latencyIndex } from '../../src/health/history.js';
import { projectRoot } from '../../src/platform/project-root.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGateways, startTestGateway } from '../support/test-gateway.js';

// The browser globals the page.evaluate callbacks use (the project's tsconfig has no DOM lib).
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};

const CHROMIUM = '/usr/bin/chromium';
// Kept in docs/ (docs/screenshots/), where the README shows what /ops looks like in an incident.
const ARTIFACTS = join(projectRoot(), 'docs', 'screenshots');
const SCREENSHOT = join(ARTIFACTS, 'ops-incident.png');
const REFRESH_SECONDS = 1;
/** The page's health requests, whatever page of them (`?limit=…&cursor=…`). */
const HEALTH_PAGES = (url: URL) => url.pathname === '/v1/health/carriers';
const KEY_ITEM = 'carrier-gateway.ops.key';

const ADMIN_KEY = `ops-admin-${randomUUID()}`;
const CLIENT_KEY = `ops-client-${randomUUID()}`;
const NEXT_FEDEX_SECRET = `fedex-next-secret-${randomUUID()}`;
registerSecrets(ADMIN_KEY, CLIENT_KEY, NEXT_FEDEX_SECRET);

const ACCOUNT_IDS = ['ups-main', 'fedex-main', 'fedex-returns'];

let sims: ShippingSimulators;
let ups: SimulatorHandle;
let gateway: Gateway;
let baseUrl: string;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const pageErrors: string[] = [];

const ship = async () => (await postShipment(baseUrl, CLIENT_KEY)).account;

/**
 * Yesterday as history (up to an hour ago, so the score of the last hour is untouched): API calls
 * and one token refresh per 15 minutes, with a throttling dip at UPS and slow refreshes at FedEx
 * returns, so the trend lines have a shape to draw.
 */
async function seedHistory(): Promise<void> {
  const now = gateway.recorder.minute();
  for (const account of ACCOUNT_IDS) {
    for (let minute = now - 24 * 60 + 1; minute <= now - 61; minute += 1) {
      const ago = now - minute;
      const dip = account === 'ups-main' && ago > 540 && ago < 600;
      const slow = (account === 'fedex-returns' && ago > 300 && ago < 420) || (dip && ago > 570);
      const latencyMs = slow ? 700 : ago % 180 < 30 ? 300 : 150;
      const latency = LATENCY_BOUNDS_MS.map(() => 0);
      latency[latencyIndex(latencyMs)] = minute % 15 === 0 ? 1 : 0;
      await gateway.recorder.history.add(account, minute, {
        ok: { api: dip ? 6 : 10, token: minute % 15 === 0 ? 1 : 0 },
        failed: dip ? { api: 4 } : {},
        classes: dip ? { 'downstream.throttled': 4 } : {},
        latency,
      });
    }
  }
}

const row = (account: string) => page.locator(`#rows tr[data-account="${account}"]`);
const cell = (account: string, column: string) => row(account).locator(`[data-col="${column}"]`);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the /ops browser test needs Debian's chromium package ` +
        '(apt-get install -y chromium; .ci/run installs it when absent)',
    );
  }
  sims = await startShippingSimulators('ops');
  ({ ups } = sims);
  const gw = await startTestGateway({
    name: 'ops-page',
    admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
    clients: [{ apiKey: CLIENT_KEY, accounts: ['ups-main', 'fedex-main'] }],
    accounts: [
      sims.upsMain(),
      sims.fedexMain(),
      // A secret rotation under way: FedEx does not know the next secret yet.
      sims.fedexMain({
        id: 'fedex-returns',
        credentials: { ...sims.fedexClient, nextClientSecret: NEXT_FEDEX_SECRET },
        shipping: undefined,
      }),
    ],
  });
  gateway = gw.gateway;
  baseUrl = gw.url;
  await seedHistory();
  // A token and a label from UPS before anything breaks, and a token for each FedEx account.
  expect(await ship()).toBe('ups-main');
  await gateway.engine.tokenManager('fedex-main')?.getToken();
  await gateway.engine.tokenManager('fedex-returns')?.getToken();

  // The flags keep Chromium from calling out of this closed network (machines/node-svc.md).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 400 }, deviceScaleFactor: 1 });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await closeTestGateways();
  await sims?.close();
});

describe('the operations page in Chromium', () => {
  it('asks for a key once, then shows one row per account', async () => {
    const response = await page.goto(`${baseUrl}/ops?refresh=${REFRESH_SECONDS}`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('#key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Show health' }).click();

    await expect.poll(() => page.locator('#rows tr').count()).toBe(ACCOUNT_IDS.length);
    const order = await page.locator('#rows tr').evaluateAll((rows) => rows.map((r) => r.dataset['account']));
    expect([...order].sort()).toEqual([...ACCOUNT_IDS].sort());
    // All healthy: worst score first.
    const scores = (await page.locator('#rows tr [data-col="score"] .score').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    for (const account of ACCOUNT_IDS) {
      expect(await cell(account, 'status').textContent()).toBe('healthy');
      expect(await cell(account, 'breaker').textContent()).toContain('closed');
      expect(await cell(account, 'token').textContent()).toMatch(/^\d+ (h|min) \d+ (min|s)/);
      // 92 slices of seeded history and the last hour's real traffic.
      const path = await cell(account, 'success').locator('svg path.line').first().getAttribute('d');
      expect(path?.split('L').length).toBeGreaterThan(80);
      expect(await cell(account, 'latency').locator('svg').getAttribute('aria-label')).toMatch(
        /latest \d+ ms/,
      );
    }
    expect(await page.getByRole('columnheader').allTextContents()).toContain('Token expires in');
    expect(await page.locator('#updated').textContent()).toMatch(/^Updated \d\d:\d\d:\d\d$/);
    expect(await page.evaluate((item) => sessionStorage.getItem(item), KEY_ITEM)).toBe(ADMIN_KEY);
    await expect.poll(() => page.locator('#key-form').isHidden()).toBe(true);
  });

  it('shows a secret rotation the carrier does not accept yet on the token cell', async () => {
    await expect
      .poll(() => cell('fedex-returns', 'token').textContent(), { timeout: 5_000 })
      .toContain('next secret rejected');
    expect(await cell('fedex-main', 'token').textContent()).not.toContain('next secret');
  });

  it('shows an auth outage at UPS on its row within one refresh', async () => {
    await ups.setFaults({ errorInSuccessBody: true, prematureExpirySeconds: 0 });
    // The API now rejects every token and the token endpoint answers 200 with an error: the
    // shipments fail over to FedEx until the breaker opens after 5 auth failures in a row.
    for (let i = 0; i < 6; i += 1) expect(await ship()).toBe('fedex-main');
    expect(gateway.breakers.state('ups-main').state).toBe('open');

    const induced = Date.now();
    await page.waitForFunction(
      () => document.querySelector('tr[data-account="ups-main"]')?.getAttribute('data-status') === 'down',
      undefined,
      { timeout: REFRESH_SECONDS * 1000 + 1500 },
    );
    const elapsed = Date.now() - induced;
    expect(elapsed).toBeLessThan(REFRESH_SECONDS * 1000 + 1500);

    // Worst first, with its reason: the failing account is the top row.
    expect(await page.locator('#rows tr').first().getAttribute('data-account')).toBe('ups-main');
    expect(await cell('ups-main', 'status').locator('.badge').textContent()).toBe('down');
    expect(await cell('ups-main', 'status').locator('.reason').textContent()).toMatch(
      /^(token_endpoint\.error_in_success_body|authorization\.premature_expiry|breaker open)/,
    );
    expect(await cell('ups-main', 'breaker').textContent()).toMatch(/^open/);
    const failing = (await cell('ups-main', 'failing').textContent()) ?? '';
    expect(failing).toMatch(/^(token_endpoint\.error_in_success_body|authorization\.premature_expiry)/);
    expect(failing).toMatch(/runbook: [a-z-]+$/);
    const incidents = await cell('ups-main', 'incidents').locator('li').allTextContents();
    expect(incidents.length).toBeGreaterThan(0);
    for (const incident of incidents) expect(incident).toMatch(/^[a-z_]+\.[a-z_]+ ×\d+runbook: [a-z-]+/);
    expect(await cell('fedex-main', 'status').textContent()).toBe('healthy');
    expect(await page.locator('#rows tr').last().getAttribute('data-status')).not.toBe('down');

    // The screenshot taken at the outage, kept for whoever reads the run.
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('raises the error banner when a refresh fails, and clears it on the next good one', async () => {
    await page.route(HEALTH_PAGES, (route) =>
      route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"code":"ERR_TEST"}' }),
    );
    // An empty banner is not displayed, so it is found by id rather than by its role.
    const banner = page.locator('#banner');
    await expect
      .poll(() => banner.textContent(), { timeout: 5_000 })
      .toMatch(/^Refresh failed at .*ERR_TEST/);
    expect(await page.getByRole('alert').getAttribute('aria-live')).toBe('assertive');
    expect(await page.locator('#accounts').getAttribute('class')).toBe('stale');
    expect(await page.locator('#rows tr').count()).toBe(ACCOUNT_IDS.length);

    await page.unroute(HEALTH_PAGES);
    await expect.poll(() => banner.textContent(), { timeout: 5_000 }).toBe('');
  });

  it('draws what an operator typed as text, never as markup', async () => {
    const reason = '<img src=x onerror="document.title=1">maintenance</b>';
    await gateway.overrides.set('fedex-returns', { drained: true, breaker: 'auto', reason });
    const tag = cell('fedex-returns', 'account').locator('.tag');
    await expect.poll(() => tag.textContent(), { timeout: 5_000 }).toBe('drained');
    expect(await cell('fedex-returns', 'account').locator('.override-why').textContent()).toBe(reason);
    expect(await page.locator('#accounts img, #accounts b').count()).toBe(0);
    expect(await page.title()).toBe('Carrier gateway · operations');
    await gateway.overrides.set('fedex-returns', { drained: false, breaker: 'auto' });
  });

  it('shows a manual failover with its target, who set it and why', async () => {
    await gateway.overrides.set('fedex-returns', {
      drained: false,
      breaker: 'auto',
      failover: { to: 'ups-main' },
      parts: { failover: { reason: 'INC-9 FedEx auth', by: 'oncall-dana', at: Date.now() } },
    });
    const tag = cell('fedex-returns', 'account').locator('.tag');
    await expect.poll(() => tag.textContent(), { timeout: 5_000 }).toBe('failed over \u2192 ups-main');
    // Written out on the row, not only in a tooltip.
    expect(await cell('fedex-returns', 'account').locator('.override-why').textContent()).toBe(
      'INC-9 FedEx auth, by oncall-dana',
    );
    await gateway.overrides.set('fedex-returns', { drained: false, breaker: 'auto' });
    await expect.poll(() => tag.count(), { timeout: 5_000 }).toBe(0);
  });

  it('shows a client key only its own accounts, and asks again for a refused key', async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(
        ([item, key]) => sessionStorage.setItem(item!, key!),
        [KEY_ITEM, CLIENT_KEY],
      );
      const clientPage = await context.newPage();
      await clientPage.goto(`${baseUrl}/ops?refresh=${REFRESH_SECONDS}`);
      await expect.poll(() => clientPage.locator('#rows tr').count()).toBe(2);

      await clientPage.evaluate((item) => sessionStorage.setItem(item, 'not-a-key-at-all'), KEY_ITEM);
      await expect
        .poll(() => clientPage.locator('#banner').textContent(), { timeout: 5_000 })
        .toMatch(/^The key was refused \(ERR_UNAUTHENTICATED, HTTP 401\)/);
      expect(await clientPage.locator('#key-form').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('ran under its Content-Security-Policy without a violation or an error', () => {
    expect(consoleErrors.filter((text) => /Content.Security.Policy|Trusted Type/i.test(text))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
