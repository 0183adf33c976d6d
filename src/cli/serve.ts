/**
 * @module cli/serve
 * `carrier-gateway serve (--config FILE | --demo) [--host ADDRESS]` (or GATEWAY_CONFIG=FILE; PORT
 * and GATEWAY_HOST override the listen address): runs the gateway in this process. With no
 * configuration it refuses to start (exit 1) unless `--demo` asks for the demo, which runs against
 * the local carrier simulators and listens on loopback only unless `--host` says otherwise.
 * SIGTERM and SIGINT stop it gracefully (src/lifecycle/shutdown.ts); SIGHUP reloads the
 * configuration file of this one process (the admin API's reload does the whole fleet). A
 * configuration error prints the key path and exits with status 1.
 */
import { loadConfigFile, selectConfig, type ConfigSelection } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { TokenSealer } from '../auth/crypto.js';
import {
  DEMO_ADMIN_KEY,
  DEMO_CLIENT_KEY,
  DEMO_HOST,
  demoConfig,
  startDemoSimulators,
  type DemoSimulator,
} from '../demo.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import { createGateway } from '../gateway.js';
import { GracefulShutdown } from '../lifecycle/shutdown.js';
import { createLogger, type Logger } from '../platform/log.js';
import { startTracing } from '../platform/tracing.js';

export const NO_CONFIGURATION_MESSAGE =
  'no configuration: give --config FILE or set GATEWAY_CONFIG=FILE ' +
  '(--demo runs the demo instead, with simulated carriers on this machine)';

/** Applied at start and to every reloaded file, so a reload keeps PORT, GATEWAY_HOST and --host. */
function listenAdjustment(selection: ConfigSelection, demo: boolean) {
  return (config: GatewayConfig) => {
    if (selection.portOverride !== undefined) config.listen.port = selection.portOverride;
    // GATEWAY_HOST may come from an image's environment: it does not move the demo off loopback.
    const host = selection.hostArgument ?? (demo ? DEMO_HOST : selection.hostOverride);
    if (host !== undefined) config.listen.host = host;
  };
}

/** A label call in flight at the end of the grace must have time to finish before the timeout. */
function warnIfTimeoutShort(config: GatewayConfig, apiTimeouts: readonly number[], log: Logger): void {
  const { graceMs, timeoutMs } = config.shutdown;
  const longestCall = Math.max(0, ...apiTimeouts);
  if (timeoutMs < graceMs + longestCall) {
    log.warn(
      { graceMs, timeoutMs, longestApiTimeoutMs: longestCall },
      'shutdown.timeoutMs is shorter than graceMs plus the longest carrier API timeout: a stop could cut a label call',
    );
  }
}

function demoBanner(port: number, host: string, simulators: readonly DemoSimulator[]): string {
  const moved = simulators
    .filter((simulator) => simulator.port !== simulator.defaultPort)
    .map(
      (simulator) =>
        `  ${simulator.carrier} simulator: port ${simulator.defaultPort} was busy, listening on ${simulator.port}\n`,
    )
    .join('');
  return (
    `\nDemo ready on ${host}:${port}.${moved === '' ? '' : '\n'}${moved}\nTry:\n` +
    `  curl -s -H 'Authorization: Bearer ${DEMO_CLIENT_KEY}' ` +
    `'http://127.0.0.1:${port}/v1/carriers/ups-demo/api/track/v1/details/1Z12345E0205271688'\n` +
    `  GATEWAY_URL=http://127.0.0.1:${port} GATEWAY_ADMIN_KEY=${DEMO_ADMIN_KEY} npx carrier-gateway status\n\n` +
    `Operations page: http://127.0.0.1:${port}/ops (admin key ${DEMO_ADMIN_KEY})\n` +
    `API reference:   http://127.0.0.1:${port}/docs\n\n`
  );
}

/** Starts the gateway and returns once it listens; it then runs until a signal ends the process. */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const selection = selectConfig(argv, env);
  const demo = selection.demo === true;
  if (!demo && selection.file === undefined) {
    throw new GatewayError('ERR_CONFIG_INVALID', NO_CONFIGURATION_MESSAGE, {
      detail: NO_CONFIGURATION_MESSAGE,
    });
  }
  const adjust = listenAdjustment(selection, demo);
  // The demo's simulators first: its configuration points at the ports they took.
  const simulators = demo ? await startDemoSimulators() : [];
  const config = demo ? demoConfig(simulators, env) : loadConfigFile(selection.file!, env);
  adjust(config);
  const log = createLogger({ level: config.log.level, flushMs: config.log.flushMs });
  // Spans go out over OTLP only when the environment names an endpoint (src/platform/tracing.ts).
  const tracing = await startTracing(env, log);
  if (demo) {
    log.info(
      {
        simulators: Object.fromEntries(simulators.map((simulator) => [simulator.carrier, simulator.port])),
        moved: simulators
          .filter((simulator) => simulator.port !== simulator.defaultPort)
          .map((s) => s.carrier),
      },
      'demo carrier simulators listening',
    );
  }

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

  const gateway = await createGateway(config, {
    log,
    ...(sealer ? { sealer } : {}),
    // The demo's file is bundled, not the operator's: there is nothing of theirs to reload.
    ...(selection.file !== undefined ? { configFile: { path: selection.file, adjust } } : {}),
  });
  warnIfTimeoutShort(
    config,
    gateway.accounts.map((account) => account.api.timeoutMs),
    log,
  );
  const port = await gateway.listen();
  log.info(
    {
      port,
      host: config.listen.host,
      demo,
      shutdown: config.shutdown,
      accounts: gateway.accounts.map((account) => account.id),
    },
    'carrier gateway listening',
  );
  // Operators and supervisors wait for this line: it does not wait for the next batch of logs.
  log.flush();
  if (demo) process.stdout.write(demoBanner(port, config.listen.host, simulators));

  new GracefulShutdown(
    {
      drain: gateway.drain,
      stopProbes: () => gateway.stopProbes(),
      close: async () => {
        await gateway.close();
        await Promise.all(simulators.map((simulator) => simulator.handle.close()));
        await tracing?.shutdown();
      },
    },
    { ...config.shutdown, log, exit: (code) => process.exit(code) },
  ).install(process);
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
    // The message names the problem; the detail explains it, when the message does not already.
    const explained =
      error.detail !== undefined &&
      error.extensions?.['problems'] === undefined &&
      !error.message.includes(error.detail)
        ? `\n  ${error.detail}`
        : '';
    process.stderr.write(`carrier-gateway: ${error.message}${explained}\n`);
  } else {
    process.stderr.write(`carrier-gateway: failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  }
  process.exit(1);
}
