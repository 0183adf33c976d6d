/**
 * @module test/admin/config-reload.test
 * `POST /v1/admin/config/reload` and SIGHUP's in-process path: client and admin keys and account
 * credentials change without a restart; a file that does not pass changes nothing and is refused
 * with what is wrong; settings read at start are reported as needing a restart; on Redis, a
 * reload taken by one instance reloads the others too.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import { TokenSealer } from '../../src/auth/crypto.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { writeConfig } from '../support/gateway-process.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { closeTestGateways, startTestGateway } from '../support/test-gateway.js';

const OLD_CLIENT_KEY = `reload-client-old-${randomUUID()}`;
const NEW_CLIENT_KEY = `reload-client-new-${randomUUID()}`;
const ADMIN_KEY = `reload-admin-${randomUUID()}`;
const OLD_SECRET = `ups-old-${randomUUID()}`;
const NEW_SECRET = `ups-new-${randomUUID()}`;
registerSecrets(OLD_CLIENT_KEY, NEW_CLIENT_KEY, ADMIN_KEY, OLD_SECRET, NEW_SECRET);

let ups: SimulatorHandle;
let redis: TestRedis;

interface Settings {
  clientKey?: string;
  secret?: string;
  port?: number;
  extra?: Record<string, unknown>;
  redisUrl?: string;
}

function configText(settings: Settings): string {
  return stringify({
    listen: { port: settings.port ?? 0, host: '127.0.0.1' },
    ...(settings.redisUrl ? { redis: { url: settings.redisUrl, keyPrefix: 'reload:' } } : {}),
    admins: [{ id: 'oncall-carol', apiKey: ADMIN_KEY }],
    clients: [{ id: 'shop', apiKey: settings.clientKey ?? OLD_CLIENT_KEY, accounts: ['ups-main'] }],
    accounts: [
      {
        id: 'ups-main',
        carrier: 'ups',
        urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
        credentials: { clientId: 'reload-ups', clientSecret: settings.secret ?? NEW_SECRET },
        shipping: { shipperNumber: 'A1B2C3' },
      },
    ],
    ...settings.extra,
  });
}

/** A gateway that reloads `file` (as written so far) on request. */
const start = (file: string, redisUrl?: string) =>
  startTestGateway({
    name: 'reload',
    yaml: readFileSync(file, 'utf8'),
    options: { configFile: { path: file }, ...(redisUrl ? { sealer: TokenSealer.ephemeral() } : {}) },
  });

async function call(url: string, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  // The carrier knows only the new secret: the account's old one is what an operator rotates away from.
  ups = await startUpsSimulator({ clients: [{ clientId: 'reload-ups', clientSecret: NEW_SECRET }] });
  redis = await TestRedis.start();
});

afterAll(async () => {
  registerIssuedTokens(ups);
  await closeTestGateways();
  await ups?.close();
  await redis?.kill();
});

describe('configuration reload', () => {
  it('swaps client keys live; the old key stops, the new one works; audited with what changed', async () => {
    const file = writeConfig(configText({}));
    const { url } = await start(file);
    expect((await call(url, 'GET', '/v1/accounts', OLD_CLIENT_KEY)).status).toBe(200);

    writeFileSync(file, configText({ clientKey: NEW_CLIENT_KEY }));
    const reloaded = await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, {
      reason: 'rotate shop key',
    });
    expect(reloaded).toMatchObject({
      status: 200,
      body: { applied: ['clients'], restartRequired: [], instances: 1 },
    });
    expect((await call(url, 'GET', '/v1/accounts', OLD_CLIENT_KEY)).body.code).toBe('ERR_UNAUTHENTICATED');
    expect((await call(url, 'GET', '/v1/accounts', NEW_CLIENT_KEY)).status).toBe(200);

    const audit = await call(url, 'GET', '/v1/admin/audit?action=reload', ADMIN_KEY);
    expect((audit.body.entries as unknown[])[0]).toMatchObject({
      admin: 'oncall-carol',
      reason: 'rotate shop key',
      result: { ok: true },
    });
    expect(JSON.stringify(audit.body)).not.toContain(NEW_CLIENT_KEY);
  });

  it('applies a rotated account secret: shipments that failed with the old one go through', async () => {
    const file = writeConfig(configText({ secret: OLD_SECRET }));
    const { url } = await start(file);
    const before = await call(url, 'POST', '/v1/shipments', OLD_CLIENT_KEY, SHIPMENT);
    expect(before.status).toBe(503);

    writeFileSync(file, configText({ secret: NEW_SECRET }));
    const reloaded = await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, {
      reason: 'new UPS secret',
    });
    expect(reloaded.body).toMatchObject({ applied: ['accounts.ups-main'], restartRequired: [] });
    expect(JSON.stringify(reloaded.body)).not.toContain(NEW_SECRET);
    const refreshed = await call(url, 'POST', '/v1/admin/accounts/ups-main/refresh', ADMIN_KEY, {
      reason: 'use it',
    });
    expect(refreshed.body).toMatchObject({ account: 'ups-main' });
    const after = await call(url, 'POST', '/v1/shipments', OLD_CLIENT_KEY, SHIPMENT);
    expect(after.status).toBe(201);
  });

  it('refuses a file that does not pass, naming what is wrong, and changes nothing', async () => {
    const file = writeConfig(configText({}));
    const { url } = await start(file);
    writeFileSync(file, configText({ clientKey: NEW_CLIENT_KEY, extra: { surprise: true } }));
    const refused = await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, { reason: 'typo' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ERR_CONFIG_RELOAD_REJECTED');
    expect(refused.body.detail).toContain('surprise');
    expect((await call(url, 'GET', '/v1/accounts', OLD_CLIENT_KEY)).status).toBe(200);
    expect((await call(url, 'GET', '/v1/accounts', NEW_CLIENT_KEY)).status).toBe(401);

    writeFileSync(file, 'listen: [');
    const broken = await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, { reason: 'half-written' });
    expect(broken.body.code).toBe('ERR_CONFIG_RELOAD_REJECTED');
    const audit = await call(url, 'GET', '/v1/admin/audit?action=reload&limit=2', ADMIN_KEY);
    expect(
      (audit.body.entries as { result: { ok: boolean; code?: string } }[]).map((entry) => entry.result),
    ).toEqual([
      { ok: false, code: 'ERR_CONFIG_RELOAD_REJECTED', detail: expect.any(String) },
      { ok: false, code: 'ERR_CONFIG_RELOAD_REJECTED', detail: expect.any(String) },
    ]);
    expect((await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, {})).status).toBe(400);
  });

  it('reports what needs a restart and leaves it as it runs', async () => {
    const file = writeConfig(configText({}));
    const { url } = await start(file);
    writeFileSync(file, configText({ port: 1, extra: { probes: { intervalSeconds: 30 } } }));
    const reloaded = await call(url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, { reason: 'try' });
    expect(reloaded.body).toMatchObject({ applied: [], restartRequired: ['listen', 'probes'] });
    expect((await call(url, 'GET', '/v1/accounts', OLD_CLIENT_KEY)).status).toBe(200);
  });

  it('SIGHUP’s path reloads this instance and is audited as the signal', async () => {
    const file = writeConfig(configText({}));
    const { gateway, url } = await start(file);
    writeFileSync(file, configText({ clientKey: NEW_CLIENT_KEY }));
    await gateway.reloadConfig('SIGHUP');
    expect((await call(url, 'GET', '/v1/accounts', NEW_CLIENT_KEY)).status).toBe(200);
    const audit = await call(url, 'GET', '/v1/admin/audit?action=reload&limit=1', ADMIN_KEY);
    expect((audit.body.entries as unknown[])[0]).toMatchObject({
      admin: 'signal:SIGHUP',
      params: { scope: 'local' },
    });
  });

  it('on Redis, a reload taken by one instance reloads the others', async () => {
    const fileA = writeConfig(configText({ redisUrl: redis.url }));
    const fileB = writeConfig(configText({ redisUrl: redis.url }));
    const a = await start(fileA, redis.url);
    const b = await start(fileB, redis.url);
    writeFileSync(fileA, configText({ redisUrl: redis.url, clientKey: NEW_CLIENT_KEY }));
    writeFileSync(fileB, configText({ redisUrl: redis.url, clientKey: NEW_CLIENT_KEY }));
    const reloaded = await call(a.url, 'POST', '/v1/admin/config/reload', ADMIN_KEY, { reason: 'fleet' });
    expect(reloaded.status).toBe(200);
    expect(reloaded.body.instances).toBe(2);
    expect(reloaded.body.fleet).toEqual([
      expect.objectContaining({ ok: true, applied: ['clients'] }),
      expect.objectContaining({ ok: true, applied: ['clients'] }),
    ]);
    expect((await call(b.url, 'GET', '/v1/accounts', NEW_CLIENT_KEY)).status).toBe(200);
    expect((await call(b.url, 'GET', '/v1/accounts', OLD_CLIENT_KEY)).status).toBe(401);
  });
});
