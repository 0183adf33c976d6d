/**
 * @module test/demo
 * `npm start` with no configuration and no Redis runs the demo, and the README's curl example
 * goes through the gateway to a simulated carrier and back.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { colissimoExampleLabelRequest } from '../carriers/colissimo/simulator.js';
import { projectRoot } from '../src/platform/project-root.js';
import { captureChildOutput } from './support/log-capture.js';
import { freePort } from './support/redis-server.js';
import { SHIPMENT } from './support/shipments.js';

const root = projectRoot();

describe('the demo', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGTERM')));

  it('serves the README curl example through the gateway to the UPS simulator', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.GATEWAY_CONFIG;
    delete env.GATEWAY_ENCRYPTION_KEY;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start: ${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        captureChildOutput(chunk);
        output += chunk.toString();
        if (output.includes('carrier gateway listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
    });
    expect(output).toContain('ephemeral key');
    expect(output).toContain('embedded single-instance mode');

    // The README's example, with the port this test chose.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /curl -s -H 'Authorization: Bearer ([^']+)' \\\n\s+(http:\/\/127\.0\.0\.1:8080\S+)/.exec(
      readme,
    );
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
});
