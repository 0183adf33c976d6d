/**
 * @module test/demo
 * The demo, asked for with `--demo` (what `npm start` adds when given no configuration): the
 * README's curl example goes through the gateway to a simulated carrier and back, and every demo
 * account answers. Beside a running demo (or anything else holding 9100 to 9800) a second one
 * takes free ports for its simulators, says which, and its configuration follows them; it listens
 * on loopback whatever GATEWAY_HOST says, and elsewhere only with `--host`.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { colissimoExampleLabelRequest } from '../carriers/colissimo/simulator.js';
import { projectRoot } from '../src/platform/project-root.js';
import { startDemo as startDemoProcess } from './support/main-program.js';
import { SHIPMENT } from './support/shipments.js';

const root = projectRoot();
const README_KEY = 'demo-shop-key-0123456789';
const TRACK_PATH = '/v1/carriers/ups-demo/api/track/v1/details/1Z12345E0205271688';

/** `src/main.ts --demo ...args` on a free gateway port; resolves once it listens and its banner is out. */
const startDemo = (args: string[], env: NodeJS.ProcessEnv, children: ChildProcess[]) =>
  startDemoProcess(args, env, { banner: true, children });

/** Holds a loopback port for the test when it is free (when it is not, something else holds it). */
function holdPort(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function logLine(output: string, message: string): Record<string, unknown> {
  const line = output.split('\n').find((candidate) => candidate.includes(`"msg":"${message}"`));
  expect(line, message).toBeDefined();
  return JSON.parse(line!) as Record<string, unknown>;
}

describe('the demo', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGTERM')));

  it('serves the README curl example through the gateway to the UPS simulator', async () => {
    const { port, output: demoOutput } = await startDemo([], {}, children);
    const output = demoOutput();
    expect(output).toContain('ephemeral key');
    expect(output).toContain('embedded single-instance mode');

    // The README's example, with the port this test chose.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example =
      /curl -sf? -H 'Authorization: Bearer ([^']+)' \\\n\s+(http:\/\/127\.0\.0\.1:8080\S+)/.exec(readme);
    expect(example).not.toBeNull();
    const url = example![2]!.replace(':8080', `:${port}`);
    const response = await fetch(url, { headers: { authorization: `Bearer ${example![1]}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { trackResponse?: { shipment?: unknown[] } };
    expect(body.trackResponse?.shipment?.length).toBeGreaterThan(0);

    // Every demo account answers through the gateway: each carrier's simulator, its own auth.
    const base = `http://127.0.0.1:${port}/v1/carriers`;
    const probes: Record<string, RequestInit & { path: string }> = {
      'fedex-demo': {
        path: '/address/v1/addresses/resolve',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          addressesToValidate: [
            { address: { streetLines: ['1 Main St'], city: 'Memphis', countryCode: 'US' } },
          ],
        }),
      },
      'oauth2-demo': { path: '/api/resource' },
      'dhl-parcel-de-demo': { path: '/parcel/de/account/auth/ropc/v1/hello' },
      'usps-demo': { path: '/addresses/v3/city-state?ZIPCode=10001' },
      'laposte-demo': {
        path: '/suivi/v2/idships/6A12345678901?lang=fr_FR',
        headers: { accept: 'application/json' },
      },
      'colissimo-demo': {
        path: '/checkGenerateLabel',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(colissimoExampleLabelRequest()),
      },
      'dhl-express-demo': {
        path: '/address-validate?type=delivery&countryCode=DE&postalCode=53113&cityName=Bonn',
      },
    };
    for (const [account, { path, ...init }] of Object.entries(probes)) {
      const headers = { ...(init.headers as Record<string, string>), authorization: `Bearer ${example![1]}` };
      const answer = await fetch(`${base}/${account}${path}`, { ...init, headers });
      expect(answer.status, account).toBe(200);
    }

    // A label at every carrier with a label API, through POST /v1/shipments.
    const germany = {
      name: 'Erika Muster',
      street: ['Sträßchensweg 10'],
      city: 'Bonn',
      postalCode: '53113',
      countryCode: 'DE',
      phone: '+49228123456',
    };
    const france = {
      name: 'Jean Dupont',
      street: ['10 rue de la Paix'],
      city: 'Paris',
      postalCode: '75002',
      countryCode: 'FR',
      phone: '+33612345678',
      email: 'jean@example.com',
    };
    const byCountry = {
      US: { shipper: SHIPMENT.shipper, recipient: SHIPMENT.recipient },
      DE: {
        shipper: { ...germany, name: 'Lager Bonn' },
        recipient: { ...germany, city: 'Berlin', postalCode: '10115' },
      },
      FR: {
        shipper: { ...france, name: 'Entrepot' },
        recipient: { ...france, city: 'Lyon', postalCode: '69001' },
      },
    };
    const shipping: [string, keyof typeof byCountry][] = [
      ['ups-demo', 'US'],
      ['fedex-demo', 'US'],
      ['usps-demo', 'US'],
      ['dhl-parcel-de-demo', 'DE'],
      ['dhl-express-demo', 'DE'],
      ['colissimo-demo', 'FR'],
    ];
    for (const [account, country] of shipping) {
      const answer = await fetch(`http://127.0.0.1:${port}/v1/shipments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${example![1]}`,
          'idempotency-key': `demo-${account}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ...SHIPMENT, ...byCountry[country], accounts: [account] }),
      });
      const body = (await answer.json()) as {
        account?: string;
        labels?: { data: string }[];
        trackingNumbers?: string[];
      };
      expect(answer.status, `${account}: ${JSON.stringify(body)}`).toBe(201);
      expect(body.account).toBe(account);
      expect(body.trackingNumbers?.length, account).toBeGreaterThan(0);
      expect(Buffer.from(body.labels![0]!.data, 'base64').length, account).toBeGreaterThan(20);
    }
  }, 30_000);

  it('beside a running demo: free ports for its simulators, named, and loopback whatever GATEWAY_HOST says', async () => {
    // A running demo (or anything) on the UPS simulator's port; held here when nobody holds it yet.
    const held = await holdPort(9100);
    try {
      const first = await startDemo([], { GATEWAY_HOST: '0.0.0.0' }, children);
      const second = await startDemo(['--host', '127.0.0.2'], {}, children);
      for (const demo of [first, second]) {
        const output = demo.output();
        expect(output).toMatch(/ups simulator: port 9100 was busy, listening on \d+/);
        const simulators = logLine(output, 'demo carrier simulators listening') as {
          simulators: Record<string, number>;
          moved: string[];
        };
        expect(simulators.moved).toContain('ups');
        expect(simulators.simulators.ups).not.toBe(9100);
        expect(output).toContain(`listening on ${simulators.simulators.ups}`);
      }
      // The two demos' UPS simulators are not the same one.
      const ports = [first, second].map(
        (demo) =>
          (logLine(demo.output(), 'demo carrier simulators listening') as { simulators: { ups: number } })
            .simulators.ups,
      );
      expect(new Set(ports).size).toBe(2);

      // GATEWAY_HOST=0.0.0.0 did not move the first demo off 127.0.0.1: another loopback address is refused.
      expect(logLine(first.output(), 'carrier gateway listening').host).toBe('127.0.0.1');
      await expect(fetch(`http://127.0.0.2:${first.port}/healthz`)).rejects.toThrow();
      // --host did move the second one.
      expect(logLine(second.output(), 'carrier gateway listening').host).toBe('127.0.0.2');
      await expect(fetch(`http://127.0.0.1:${second.port}/healthz`)).rejects.toThrow();

      // Each gateway's configuration follows its own simulators: the README example works on both.
      for (const base of [`http://127.0.0.1:${first.port}`, `http://127.0.0.2:${second.port}`]) {
        const response = await fetch(`${base}${TRACK_PATH}`, {
          headers: { authorization: `Bearer ${README_KEY}` },
        });
        expect(response.status, base).toBe(200);
      }
    } finally {
      held?.close();
    }
  }, 60_000);
});
