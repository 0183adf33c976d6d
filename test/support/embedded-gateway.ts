/**
 * @module test/support/embedded-gateway
 * An embedded-mode gateway (no Redis) on an ephemeral loopback port, built from plain account
 * objects, for adapter tests; every one started is closed by `closeEmbeddedGateways()`.
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { testLogger } from './log-capture.js';

export interface RunningGateway {
  gateway: Gateway;
  url: string;
  close(): Promise<void>;
}

const running: RunningGateway[] = [];

/** One client (`shop`, with `clientKey`) that may use every account given. */
export async function startEmbeddedGateway(
  clientKey: string,
  accounts: Record<string, unknown>[],
  logName = 'gateway',
): Promise<RunningGateway> {
  const yaml = stringify({
    listen: { port: 0, host: '127.0.0.1' },
    clients: [{ id: 'shop', apiKey: clientKey, accounts: accounts.map((account) => account.id) }],
    accounts,
  });
  const gateway = await createGateway(parseConfig(yaml, 'test'), { log: testLogger(logName) });
  const port = await gateway.listen(0, '127.0.0.1');
  const handle = { gateway, url: `http://127.0.0.1:${port}`, close: () => gateway.close() };
  running.push(handle);
  return handle;
}

export async function closeEmbeddedGateways(): Promise<void> {
  await Promise.all(running.splice(0).map((handle) => handle.close()));
}
