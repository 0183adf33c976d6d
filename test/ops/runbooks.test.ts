/**
 * @module test/ops/runbooks.test
 * docs/runbooks/ served by the gateway under /ops/runbooks/: every failure class's runbook opens,
 * the index links each one, links between runbooks stay on the gateway and resolve, a name that
 * is not a runbook (or tries to climb out) is the 404 problem, and `/ops` links there.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RUNBOOKS } from '../../src/core/failure-classes.js';
import { renderMarkdown } from '../../src/ops/runbooks.js';
import { callGateway } from '../support/gateway-client.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    name: 'runbooks',
    clientKey: `runbooks-client-${randomUUID()}`,
    accounts: [
      {
        id: 'colissimo-runbooks',
        carrier: 'colissimo',
        urls: { api: 'http://127.0.0.1:1' },
        credentials: { clientId: 'runbooks-contract', clientSecret: `runbooks-key-${randomUUID()}` },
      },
    ],
  });
});

afterAll(() => closeTestGateways());

describe('runbooks under /ops/runbooks/', () => {
  it("serves every failure class's runbook, and every link between runbooks resolves", async () => {
    for (const name of new Set(Object.values(RUNBOOKS))) {
      const page = await callGateway(gw, `/ops/runbooks/${name}`);
      expect(page.status, name).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toMatch(/<h1 id="[a-z0-9-]+">/);
      for (const [, target] of page.text.matchAll(/href="\/ops\/runbooks\/([a-z0-9-]+)/g)) {
        expect((await callGateway(gw, `/ops/runbooks/${target}`)).status, `${name} → ${target}`).toBe(200);
      }
    }
    const index = await callGateway(gw, '/ops/runbooks/');
    expect(index.status).toBe(200);
    for (const name of new Set(Object.values(RUNBOOKS)))
      expect(index.text).toContain(`/ops/runbooks/${name}`);
  });

  it('answers 404 for anything else', async () => {
    for (const path of ['/ops/runbooks/nope', '/ops/runbooks/..%2fREADME', '/ops/runbooks/README']) {
      const reply = await callGateway(gw, path);
      expect(reply.status, path).toBe(404);
      expect(reply.body).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND' });
    }
  });

  it('escapes the Markdown it renders', () => {
    const html = renderMarkdown('# T <script>\n\nA `<b>` and [x](javascript:alert(1)) **bold**', new Set());
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<code>&#60;b&#62;</code>');
    expect(html).toContain('<strong>bold</strong>');
  });
});
