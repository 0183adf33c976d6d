#!/usr/bin/env node
/**
 * @module main
 * Command-line entry: `carrier-gateway [--config FILE]` (or GATEWAY_CONFIG=FILE; PORT and GATEWAY_HOST
 * override the listen address). Without a configuration it runs the demo against the local carrier simulators.
 * A configuration error prints the key path and exits with status 1.
 */
import { loadConfigFile, selectConfig } from '../config/load.js';
import { TokenSealer } from './auth/crypto.js';
import { DEMO_CONFIG_FILE, startDemoSimulators } from './demo.js';
import { isGatewayError } from './errors.js';
import { createGateway } from './gateway.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  const selection = selectConfig(process.argv.slice(2));
  const demo = selection.file === undefined;
  const config = loadConfigFile(selection.file ?? DEMO_CONFIG_FILE);
  if (selection.portOverride !== undefined) config.listen.port = selection.portOverride;
  if (selection.hostOverride !== undefined) config.listen.host = selection.hostOverride;
  const log = createLogger({ level: config.log.level });

  let sealer: TokenSealer | undefined;
  const key = process.env.GATEWAY_ENCRYPTION_KEY;
  if (key !== undefined && key !== '') sealer = TokenSealer.fromEnvironmentValue(key);
  else if (config.redis) sealer = undefined; // createGateway refuses Redis without a key, naming the variable.
  if (demo && sealer === undefined) {
    sealer = TokenSealer.ephemeral();
    log.warn(
      'demo: GATEWAY_ENCRYPTION_KEY not set, using an ephemeral key (tokens do not survive a restart)',
    );
  }

  const simulators = demo ? await startDemoSimulators() : [];
  const gateway = await createGateway(config, { log, ...(sealer ? { sealer } : {}) });
  const port = await gateway.listen();
  log.info(
    { port, demo, accounts: gateway.accounts.map((account) => account.id) },
    'carrier gateway listening',
  );
  if (demo) {
    process.stdout.write(
      `\nDemo ready. Try:\n  curl -s -H 'Authorization: Bearer demo-shop-key-0123456789' ` +
        `'http://127.0.0.1:${port}/v1/carriers/ups-demo/api/track/v1/details/1Z12345E0205271688'\n\n`,
    );
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    Promise.all([gateway.close(), ...simulators.map((simulator) => simulator.close())])
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (isGatewayError(error) && error.code === 'ERR_CONFIG_INVALID') {
    process.stderr.write(`carrier-gateway: ${error.message}\n`);
  } else {
    process.stderr.write(`carrier-gateway: failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  }
  process.exit(1);
});
