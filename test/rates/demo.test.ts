/**
 * @module test/rates/demo.test
 * The README's rates and tracking curl examples, run as written against the demo
 * (`src/main.ts --demo`, its simulators on loopback): prices from UPS, FedEx and USPS in one
 * answer with DHL Parcel DE named `not_supported`, and a UPS number and a MyDHL test waybill tracked.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/platform/project-root.js';
import { captureChildOutput } from '../support/log-capture.js';
import { freePort } from '../support/redis-server.js';

const root = projectRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const from = readme.indexOf('## Rates and tracking');
const section = readme.slice(from, readme.indexOf('\n## ', from + 1));

/** The section's curl commands: key, body (-d), URL. */
function curls(): { key: string; body?: string; url: string }[] {
  return [...section.matchAll(/```sh\n(curl[\s\S]*?)```/g)].map((match) => {
    const command = match[1]!.replace(/\\\n/g, ' ');
    const key = /Authorization: Bearer ([^']+)'/.exec(command)![1]!;
    const body = /-d '([^']+)'/.exec(command)?.[1];
    const url = /(?:'|\s)(http:\/\/127\.0\.0\.1:8080[^'\s]+)/.exec(command)![1]!;
    return { key, url, ...(body !== undefined ? { body } : {}) };
  });
}

describe('the README rates and tracking examples against the demo', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGTERM')));

  it('both answer as the README says', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.GATEWAY_CONFIG;
    delete env.GATEWAY_ENCRYPTION_KEY;
    delete env.GATEWAY_HOST;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--demo'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start: ${output}`)), 30_000);
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

    const [rates, tracking, dhlTracking] = curls();
    expect(rates?.body).toBeDefined();
    const priced = await fetch(rates!.url.replace(':8080', `:${port}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${rates!.key}`, 'content-type': 'application/json' },
      body: rates!.body!,
    });
    expect(priced.status).toBe(200);
    const answer = (await priced.json()) as {
      rates: { account: string }[];
      errors: { account: string; code: string }[];
    };
    expect(new Set(answer.rates.map((rate) => rate.account))).toEqual(
      new Set(['ups-demo', 'fedex-demo', 'usps-demo']),
    );
    expect(answer.errors).toEqual([
      expect.objectContaining({ account: 'dhl-parcel-de-demo', code: 'not_supported' }),
    ]);

    const tracked = await fetch(tracking!.url.replace(':8080', `:${port}`), {
      headers: { authorization: `Bearer ${tracking!.key}` },
    });
    expect(tracked.status).toBe(200);
    expect(await tracked.json()).toMatchObject({ account: 'ups-demo', carrier: 'ups', status: 'delivered' });

    const dhl = await fetch(dhlTracking!.url.replace(':8080', `:${port}`), {
      headers: { authorization: `Bearer ${dhlTracking!.key}` },
    });
    expect(dhl.status).toBe(200);
    expect(await dhl.json()).toMatchObject({
      account: 'dhl-express-demo',
      carrier: 'dhl-express',
      status: 'delivered',
      events: [{ carrierCode: 'OK' }, { carrierCode: 'DF' }, { carrierCode: 'PU' }],
    });
  }, 60_000);
});
