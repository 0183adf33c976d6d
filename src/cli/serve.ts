/**
 * @module cli/serve
 * `carrier-gateway serve [--config FILE]` (or GATEWAY_CONFIG=FILE; PORT and GATEWAY_HOST override
 * the listen address): runs the gateway in this process. Without a configuration it runs the demo
 * against the local carrier simulators. SIGTERM and SIGINT close it; SIGHUP reloads the
 * configuration file of this one process (the admin API's reload does the whole fleet). A
 * configuration error prints the key path and exits with status 1.
 */
import { loadConfigFile, selectConfig } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { TokenSealer } from '../auth/crypto.js';
import { DEMO_CONFIG_FILE, startDemoSimulators } from '../demo.js';
import { isGatewayError } from '../core/errors.js';
import { createGateway } from '../gateway.js';
import { createLogger } from '../platform/log.js';

/** Starts the gateway and returns once it listens; it then runs until a signal ends the process. */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const selection = selectConfig(argv, env);
  const demo = selection.file === undefined;
  // Applied at start and again to every reloaded file, so a reload keeps PORT and GATEWAY_HOST.
  const adjust = (config: GatewayConfig) => {
    if (selection.portOverride !== undefined) config.listen.port = selection.portOverride;
    if (selection.hostOverride !== undefined) config.listen.host = selection.hostOverride;
  };
  const config = loadConfigFile(selection.file ?? DEMO_CONFIG_FILE);
  adjust(config);
  const log = createLogger({ level: config.log.level });

  let sealer: TokenSealer | undefined;
  const key = env.GATEWAY_ENCRYPTION_KEY;
  if (key !== undefined && key !== '')
    sealer = TokenSealer.fromEnvironmentValue(key, env.GATEWAY_ENCRYPTION_KEY_PREVIOUS);
  else if (config.redis) sealer = undefined; // createGateway refuses Redis without a key, naming the variable.
  if (demo && sealer === undefined) {
    sealer = TokenSealer.ephemeral();
    log.warn(
      'demo: GATEWAY_ENCRYPTION_KEY not set, using an ephemeral key (tokens do not survive a restart)',
    );
  }

  const simulators = demo ? await startDemoSimulators() : [];
  const gateway = await createGateway(config, {
    log,
    ...(sealer ? { sealer } : {}),
    // The demo's file is bundled, not the operator's: there is nothing of theirs to reload.
    ...(selection.file !== undefined ? { configFile: { path: selection.file, adjust } } : {}),
  });
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
  // Node's default for SIGHUP is to exit; here it means "read the configuration file again".
  process.on('SIGHUP', () => {
    log.info({ signal: 'SIGHUP', file: selection.file ?? null }, 'configuration reload requested');
    void gateway.reloadConfig('SIGHUP').then((outcome) => {
      if (outcome.ok) log.info({ signal: 'SIGHUP', ...outcome }, 'configuration reloaded');
      else log.warn({ signal: 'SIGHUP', ...outcome }, 'configuration reload refused; the running one stays');
    });
  });
}

/** A failed start: the configuration's own message (key path, variable name), else the error's. */
export function startFailed(error: unknown): never {
  if (isGatewayError(error) && error.code === 'ERR_CONFIG_INVALID') {
    process.stderr.write(`carrier-gateway: ${error.message}\n`);
  } else {
    process.stderr.write(`carrier-gateway: failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  }
  process.exit(1);
}
