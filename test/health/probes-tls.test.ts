/**
 * @module test/health/probes-tls.test
 * The carrier host's TLS certificate as the probe reports it: a node:https server with a
 * certificate made here (openssl from PATH, valid 10 days) stands in for an OAuth 2.0 carrier's
 * API host. Trusted through the prober's `ca`, the probe passes and reports the certificate it was
 * served; untrusted, the call fails as transport.tls and the certificate is still reported (from
 * a bare handshake); the health view scores the expiry.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startOAuth2Simulator, type OAuth2SimulatorHandle } from '../../carriers/oauth2/simulator.js';
import { HealthService } from '../../src/health/health-service.js';
import { configuredAccounts } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { proberStack } from '../support/prober-stack.js';

const SECRET = `probe-tls-oauth2-${randomUUID()}`;
registerSecrets(SECRET);

const DAY_MS = 24 * 3600 * 1000;

let dir: string;
let certificatePem: string;
let validTo: number;
let carrierApi: Server;
let apiUrl: string;
let sim: OAuth2SimulatorHandle;
const seenAuthorizations: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

function setup(ca?: string) {
  const id = `oauth2-tls-${randomUUID().slice(0, 8)}`;
  const list = [
    {
      id,
      carrier: 'oauth2',
      urls: { token: `${sim.url}/oauth/token`, api: apiUrl },
      credentials: { clientId: 'probe-tls', clientSecret: SECRET },
      oauth2: { clientAuthentication: 'client_secret_basic' },
    },
  ];
  const stack = proberStack({
    name: 'probes-tls',
    accounts: configuredAccounts(list),
    prober: { intervalMs: 60_000, jitterMs: 0, ...(ca !== undefined ? { ca } : {}) },
  });
  cleanups.push(stack.close);
  const { accounts, engine, breakers, overrides, recorder, prober } = stack;
  const health = new HealthService({ accounts, engine, breakers, overrides, recorder, probes: prober });
  return { id, prober, health };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'probe-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '10',
      '-subj',
      '/CN=carrier-api.test',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  certificatePem = readFileSync(certFile, 'utf8');
  validTo = Date.parse(new X509Certificate(certificatePem).validTo);

  sim = await startOAuth2Simulator({ clients: [{ clientId: 'probe-tls', clientSecret: SECRET }] });
  // The carrier API host: answers the probe's resource with any token the simulator accepts.
  carrierApi = createServer({ key: readFileSync(keyFile), cert: certificatePem }, (req, res) => {
    const authorization = req.headers.authorization ?? '';
    seenAuthorizations.push(authorization);
    const token = authorization.replace(/^Bearer /, '');
    const ok = req.url === '/api/resource' && sim.isAccessTokenValid(token);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { resource: 'ok' } : { error: 'invalid_token' }));
  });
  await new Promise<void>((resolve) => carrierApi.listen(0, '127.0.0.1', resolve));
  apiUrl = `https://127.0.0.1:${(carrierApi.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  if (sim) registerIssuedTokens(sim);
  await new Promise<void>((resolve) => (carrierApi ? carrierApi.close(() => resolve()) : resolve()));
  carrierApi?.closeAllConnections();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the carrier host's TLS certificate", () => {
  it('is read on the probe connection and reported with the days it has left', async () => {
    const { id, prober, health } = setup(certificatePem);
    const before = seenAuthorizations.length;
    const result = await prober.runOnce(id);
    expect(result.ok, JSON.stringify(result.steps)).toBe(true);
    expect(result.steps.find((step) => step.name === 'call')!.detail).toBe('HTTP 200');
    // The probe's own call reached the host, with a token fresh from the token endpoint.
    expect(seenAuthorizations.length).toBe(before + 1);
    expect(seenAuthorizations.at(-1)).toMatch(/^Bearer ./);

    expect(result.certificate).toEqual({
      host: '127.0.0.1',
      validTo: new Date(validTo).toISOString(),
      daysLeft: Math.floor((validTo - Date.now()) / DAY_MS),
    });
    // Made for 10 days a moment ago: 9 whole days and some hours left.
    expect(result.certificate!.daysLeft).toBe(9);

    // The health view scores it: under 14 days costs points.
    const report = await health.report(id);
    expect(report.lastProbe).toEqual(result);
    const input = report.inputs.find((row) => row.name === 'certificateExpiresInDays')!;
    expect(input.value).toBe(9);
    expect(input.penalty).toBeGreaterThan(0);
  });

  it('an untrusted certificate fails the call as transport.tls and is still reported', async () => {
    const { id, prober } = setup();
    const result = await prober.runOnce(id);
    expect(result.ok).toBe(false);
    expect(result.failureClass).toBe('transport.tls');
    expect(result.steps.find((step) => step.name === 'call')).toMatchObject({
      ok: false,
      failureClass: 'transport.tls',
      detail: expect.stringMatching(/^tls: /),
    });
    // A TLS failure says nothing about the account's credentials.
    expect(result.steps.at(-1)!.detail).toBe('breaker: neutral');
    expect(result.certificate).toMatchObject({ host: '127.0.0.1', validTo: new Date(validTo).toISOString() });
  });
});
