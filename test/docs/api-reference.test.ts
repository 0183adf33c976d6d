/**
 * @module test/docs/api-reference.test
 * The interactive API reference in a real headless browser (Debian's Chromium driven by
 * playwright-core, as test/ops/ops-page.test.ts): `/docs` renders Swagger UI from the gateway's
 * own files, reads `/openapi.json` and lists the operations; nothing is requested from another
 * host, the CSP holds and the console stays clean; a problem's `type` opens the code's section of
 * `/docs/errors`.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_KEY = `docs-client-${randomUUID()}`;

let gw: TestGateway;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the /docs browser test needs Debian's chromium package`);
  }
  gw = await startTestGateway({
    name: 'api-reference',
    clientKey: CLIENT_KEY,
    accounts: [
      {
        id: 'colissimo-docs',
        carrier: 'colissimo',
        urls: { api: 'http://127.0.0.1:1' },
        credentials: { clientId: 'docs-contract', clientSecret: `docs-key-${randomUUID()}` },
      },
    ],
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(gw.url) && !request.url().startsWith('data:'))
      foreignRequests.push(request.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await closeTestGateways();
});

describe('/docs in Chromium', () => {
  it('renders Swagger UI from the gateway itself, with every tag and the operations', async () => {
    const response = await page.goto(`${gw.url}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    for (const tag of ['Pass-through', 'Shipments', 'Health', 'Documentation']) {
      await expect(page.locator(`.opblock-tag[data-tag="${tag}"]`).count()).resolves.toBe(1);
    }
    await expect(page.locator('.info .title').innerText()).resolves.toContain('carrier-gateway');
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('expands an operation with its request example and problem codes', async () => {
    await page.locator('#operations-Shipments-createShipment').click();
    const body = page.locator('#operations-Shipments-createShipment');
    await expect(body.innerText()).resolves.toContain('Idempotency-Key');
    await expect(body.innerText()).resolves.toContain('ERR_IDEMPOTENCY_KEY_REUSED');
  });

  it("opens a problem type's section of the error reference", async () => {
    const reply = await fetch(`${gw.url}/v1/accounts`);
    const { type } = (await reply.json()) as { type: string };
    await page.goto(new URL(type, gw.url).toString());
    const target = page.locator('section:target');
    await expect(target.getAttribute('id')).resolves.toBe('ERR_UNAUTHENTICATED');
    await expect(target.innerText()).resolves.toContain('HTTP 401');
    expect(consoleErrors).toEqual([]);
  });
});
