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
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Gateway } from '../../src/gateway.js';
import { LATENCY_BOUNDS_MS, latencyIndex } from '../../src/health/history.js';
import { projectRoot } from '../../src/platform/project-root.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { launchChromium } from '../support/chromium.js';
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

// Kept in docs/ (docs/screenshots/), where the README shows what /ops looks like in an incident.
const ARTIFACTS = join(projectRoot(), 'docs', 'screenshots');

/** Keeps a screenshot of the page (or of one part of it) in docs/screenshots/. */
async function keepScreenshot(name: string, part?: Locator): Promise<void> {
  const path = join(ARTIFACTS, name);
  mkdirSync(ARTIFACTS, { recursive: true });
  // Focusing a control may have scrolled the table sideways; the picture starts at its left edge.
  await page.locator('.scroll').evaluate((node) => {
    (node as { scrollLeft: number }).scrollLeft = 0;
  });
  if (part) await part.screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size).toBeGreaterThan(10_000);
}
const REFRESH_SECONDS = 1;
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

/** The newest audit entry of an action on fedex-returns, read through the admin API. */
async function audit(action: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/v1/admin/audit?account=fedex-returns&action=${action}&limit=1`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  const { entries } = (await response.json()) as { entries: Record<string, unknown>[] };
  return entries[0] ?? {};
}

const row = (account: string) => page.locator(`#rows tr[data-account="${account}"]`);
const cell = (account: string, column: string) => row(account).locator(`[data-col="${column}"]`);

beforeAll(async () => {
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

  browser = await launchChromium('the /ops browser test');
  page = await browser.newPage({ viewport: { width: 1760, height: 400 }, deviceScaleFactor: 1 });
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
      expect(await cell(account, 'latency').locator('svg.chart').getAttribute('aria-label')).toMatch(
        /latest \d+(\.\d)? m?s/,
      );
    }
    expect(await page.getByRole('columnheader').allTextContents()).toContain('Token expires in');
    expect(await page.locator('#updated').textContent()).toMatch(/^Updated \d\d:\d\d:\d\d$/);
    expect(await page.evaluate((item) => sessionStorage.getItem(item), KEY_ITEM)).toBe(ADMIN_KEY);
    await expect.poll(() => page.locator('#key-form').isHidden()).toBe(true);
  });

  it('draws 24-hour charts with axes, and the value of the slice pointed at', async () => {
    const success = cell('ups-main', 'success');
    expect(await success.locator('text.tick-y').allTextContents()).toEqual(['0%', '50%', '100%']);
    const times = await success.locator('text.tick-x').allTextContents();
    expect(times).toHaveLength(4);
    for (const time of times) expect(time).toMatch(/^\d\d:\d\d$/);
    // The latency axis is in ms with a round top: the seeded 700 ms slow refreshes need 1 s.
    const latencyTicks = await cell('fedex-returns', 'latency').locator('text.tick-y').allTextContents();
    expect(latencyTicks).toEqual(['0 ms', '500 ms', '1.0 s']);

    const caption = success.locator('.chart-value');
    expect(await caption.textContent()).toMatch(/^latest \d+(\.\d)?%$/);
    // The UPS dip was seeded 9 to 10 hours ago (4 calls in 10 failing): point at it, 9.5 h back.
    const chart = success.locator('svg.chart');
    const box = (await chart.boundingBox())!;
    // The plot runs from 42 px (after the value axis) to 8 px before the right edge.
    await chart.hover({ position: { x: 42 + (box.width - 50) * (1 - 9.5 / 24), y: box.height / 2 } });
    await expect.poll(() => caption.textContent()).toMatch(/^\d\d:\d\d–\d\d:\d\d · \d+\.\d%$/);
    expect(Number(/· ([\d.]+)%/.exec((await caption.textContent())!)![1])).toBeLessThan(70);
    expect(await success.locator('circle.marker').getAttribute('visibility')).toBe('visible');
    await keepScreenshot('ops-chart-hover.png', row('ups-main'));
    // The slice's start, as the axis writes it, is within a slice of the time pointed at.
    const start = (await caption.textContent())!.slice(0, 5);
    const pointed = new Date(Date.now() - 9.5 * 3600_000);
    const minutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
    const gap = Math.abs(minutes(start) - (pointed.getHours() * 60 + pointed.getMinutes()));
    expect(Math.min(gap, 1440 - gap)).toBeLessThanOrEqual(30);

    await page.mouse.move(0, 0);
    await expect.poll(() => caption.textContent()).toMatch(/^latest /);
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
    await keepScreenshot('ops-incident.png');
  });

  it('raises the error banner when a refresh fails, and clears it on the next good one', async () => {
    // The page asks for one page of accounts: /v1/health/carriers?sort=severity&limit=...
    const health = /\/v1\/health\/carriers\?/;
    await page.route(health, (route) =>
      route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"code":"ERR_TEST"}' }),
    );
    // An empty banner is not displayed, so it is found by id rather than by its role.
    const banner = page.locator('#banner');
    await expect
      .poll(() => banner.textContent(), { timeout: 5_000 })
      .toMatch(/^Refresh failed at .*ERR_TEST/);
    expect(await page.getByRole('alert').getAttribute('aria-live')).toBe('assertive');
    expect((await page.locator('#accounts').getAttribute('class'))?.split(' ')).toContain('stale');
    expect(await page.locator('#rows tr').count()).toBe(ACCOUNT_IDS.length);

    await page.unroute(health);
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

  it('shows a breaker an operator forced open as open, with its own state beside it', async () => {
    await gateway.overrides.set('fedex-returns', { drained: false, breaker: 'open', reason: 'INC-12' });
    const breaker = cell('fedex-returns', 'breaker');
    await expect.poll(() => breaker.locator('.breaker').textContent(), { timeout: 5_000 }).toBe('open');
    expect(await breaker.locator('.breaker').getAttribute('class')).toContain('breaker-open');
    expect(await breaker.textContent()).toContain('forced by an operator; own state closed');
    await gateway.overrides.set('fedex-returns', { drained: false, breaker: 'auto' });
    await expect.poll(() => breaker.locator('.breaker').textContent(), { timeout: 5_000 }).toBe('closed');
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

  it('fails over, restores, drains and undrains from the page, with a reason, audited', async () => {
    const actions = cell('fedex-returns', 'actions');
    const tag = cell('fedex-returns', 'account').locator('.tag');
    const result = actions.locator('output');
    const press = (label: string) => actions.getByRole('button', { name: label, exact: true }).click();
    await actions.locator('summary').click();

    // No reason, no action: the page refuses and sends nothing.
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/admin/accounts/')) sent.push(request.method());
    });
    await press('Fail over');
    expect(await result.textContent()).toMatch(/^Refused: say why first/);
    expect(sent).toEqual([]);
    expect(gateway.overrides.current('fedex-returns').failover).toBeUndefined();

    await actions.getByLabel('Reason (audited)').fill('INC-77 FedEx returns auth');
    await actions.getByLabel('Fail over to').fill('fedex-main');
    const request = page.waitForRequest('**/v1/admin/accounts/fedex-returns/failover');
    await press('Fail over');
    // The key travels in the header the script sets; there is no cookie to ride on (CSRF).
    const headers = await (await request).allHeaders();
    expect(headers['authorization']).toBe(`Bearer ${ADMIN_KEY}`);
    expect(headers['cookie']).toBeUndefined();
    await expect.poll(() => tag.textContent(), { timeout: 5_000 }).toBe('failed over \u2192 fedex-main');
    expect(await cell('fedex-returns', 'account').locator('.override-why').textContent()).toBe(
      'INC-77 FedEx returns auth, by ops',
    );
    expect(await audit('failover')).toMatchObject({
      admin: 'ops',
      reason: 'INC-77 FedEx returns auth',
      params: { to: 'fedex-main' },
      result: { ok: true },
    });

    await actions.getByLabel('Reason (audited)').fill('INC-77 resolved');
    await press('Restore');
    await expect.poll(() => tag.count(), { timeout: 5_000 }).toBe(0);
    expect(gateway.overrides.current('fedex-returns').failover).toBeUndefined();
    expect(await audit('restore')).toMatchObject({ admin: 'ops', reason: 'INC-77 resolved' });

    await actions.getByLabel('Reason (audited)').fill('FedEx maintenance window');
    await actions.getByLabel('Lasts').selectOption({ label: 'for 1 h' });
    await press('Drain');
    await expect.poll(() => tag.textContent(), { timeout: 5_000 }).toBe('drained');
    expect(await cell('fedex-returns', 'account').locator('.override-why').textContent()).toMatch(
      /^FedEx maintenance window, by ops, until \d{4}-\d\d-\d\dT/,
    );
    // Wide enough for the open Act panel beside the whole row.
    await page.setViewportSize({ width: 2000, height: 400 });
    await keepScreenshot('ops-actions.png');
    await page.setViewportSize({ width: 1760, height: 400 });
    expect(await audit('drain')).toMatchObject({
      admin: 'ops',
      reason: 'FedEx maintenance window',
      params: { ttlSeconds: 3600 },
    });

    // A refusal from the gateway is shown as it came: fedex-returns cannot fail over to itself.
    await actions.getByLabel('Reason (audited)').fill('a mistake');
    await actions.getByLabel('Fail over to').fill('fedex-returns');
    await press('Fail over');
    await expect.poll(() => result.textContent()).toMatch(/^Refused: ERR_OVERRIDE_CONFLICT: /);

    await actions.getByLabel('Reason (audited)').fill('maintenance over');
    await press('Undrain');
    await expect.poll(() => tag.count(), { timeout: 5_000 }).toBe(0);
    expect(gateway.overrides.current('fedex-returns').drained).toBe(false);
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
      // No actions for a client key: the admin API would refuse it anyway.
      expect(await clientPage.locator('#rows details').count()).toBe(0);
      expect(await clientPage.getByRole('columnheader', { name: 'Act' }).isVisible()).toBe(false);

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
