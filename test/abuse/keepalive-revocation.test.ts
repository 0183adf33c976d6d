/**
 * @module test/abuse/keepalive-revocation
 * Issue 12, point 2: the pass-through authenticates a keep-alive connection once per key, and
 * used to keep that result past a configuration reload, so a revoked key or a removed account
 * grant kept working on a connection left open. Authentication must follow the configuration in
 * force: the same connection, after the reload, is refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { rawConnection } from '../support/raw-http.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway } from '../support/test-gateway.js';
import { UPS_CLIENT, startCarrierStub, upsAccount, type CarrierStub } from '../proxy/helpers.js';

const ADMIN = 'revocation-admin-key-0123456789';
const SHOP = 'revocation-shop-key-0123456789';
const PATH = '/v1/carriers/ups-main/api/track/v1/details/1Z';

let sim: UpsSimulatorHandle;
let stub: CarrierStub;

beforeAll(async () => {
  registerSecrets(ADMIN, SHOP);
  sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
  // Content-Length answers: the raw connection reads only those.
  stub = await startCarrierStub((_recorded, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
    res.end('{"ok":true}');
  });
});
afterAll(() => closeTestGatewaysAnd(stub, sim));

function configText(clients: { id: string; apiKey: string; accounts: string[] }[]): string {
  return stringify({
    listen: { port: 0, host: '127.0.0.1' },
    admins: [{ id: 'oncall', apiKey: ADMIN }],
    clients,
    accounts: [upsAccount('ups-main', sim, stub.url), upsAccount('ups-spare', sim, stub.url)],
  });
}

async function reloadWith(url: string, file: string, text: string): Promise<void> {
  writeFileSync(file, text);
  const reply = await fetch(`${url}/v1/admin/config/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'revoke' }),
  });
  expect(reply.status).toBe(200);
}

async function startWith(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'revocation-')), 'gateway.yaml');
  writeFileSync(file, text);
  const gw = await startTestGateway({
    name: 'revocation',
    yaml: readFileSync(file, 'utf8'),
    options: { configFile: { path: file } },
  });
  return { gw, file };
}

describe('a keep-alive connection after a reload', () => {
  it('a revoked key stops working on the connection it was used on', async () => {
    const { gw, file } = await startWith(configText([{ id: 'shop', apiKey: SHOP, accounts: ['ups-main'] }]));
    const connection = await rawConnection(gw.port);
    const auth = { authorization: `Bearer ${SHOP}` };
    expect((await connection.request('GET', PATH, auth)).status).toBe(200);
    await reloadWith(
      gw.url,
      file,
      configText([{ id: 'shop', apiKey: 'revocation-new-key-0123456789', accounts: ['ups-main'] }]),
    );
    const after = await connection.request('GET', PATH, auth);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body)).toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    connection.destroy();
  });

  it('a removed account grant stops working on the connection it was used on', async () => {
    const { gw, file } = await startWith(
      configText([{ id: 'shop', apiKey: SHOP, accounts: ['ups-main', 'ups-spare'] }]),
    );
    const connection = await rawConnection(gw.port);
    const auth = { authorization: `Bearer ${SHOP}` };
    expect((await connection.request('GET', PATH, auth)).status).toBe(200);
    await reloadWith(gw.url, file, configText([{ id: 'shop', apiKey: SHOP, accounts: ['ups-spare'] }]));
    const after = await connection.request('GET', PATH, auth);
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body)).toMatchObject({ code: 'ERR_ACCOUNT_NOT_FOUND' });
    connection.destroy();
  });
});
