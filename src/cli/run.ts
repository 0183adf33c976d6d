/**
 * @module cli/run
 * The admin commands of `carrier-gateway` (everything but `serve`, which src/main.ts runs in its
 * own process): read the command line, run the command's handler (src/cli/handlers.ts) against
 * the gateway's admin API with `GATEWAY_ADMIN_KEY`, and give the exit status: 0 done, 1 the
 * gateway refused or could not be reached, 2 a usage error. Output goes through the `io` given,
 * so tests drive this function directly.
 */
import { parseArgs, positionals, text, UsageError } from './args.js';
import { AdminClient, adminKey, GatewayCallError, gatewayUrl } from './client.js';
import { CLI_COMMANDS, commandHelp, DEFAULT_GATEWAY_URL, generalHelp } from './commands.js';
import { printable, useColour } from './format.js';
import { HANDLERS, type Context } from './handlers.js';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

/**
 * Runs one admin command line (without the program name) and resolves with its exit status.
 *
 * @example
 * const status = await run(['status'], process.env, { stdout: process.stdout, stderr: process.stderr });
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  // Nothing prints the key on purpose; this catches it should a message ever quote a header.
  const key = env.GATEWAY_ADMIN_KEY?.trim();
  const redact = (output: string) =>
    key !== undefined && key.length >= 8 ? output.split(key).join('[redacted]') : output;
  const out = (output: string) => void io.stdout.write(redact(output));
  const err = (output: string) => void io.stderr.write(redact(output));

  let command: string | undefined;
  try {
    const args = parseArgs(argv);
    command = args.command;
    if (command === 'help') {
      const [topic] = positionals(args, [], ['COMMAND']);
      if (topic !== undefined && CLI_COMMANDS[topic] === undefined)
        throw new UsageError(`unknown command "${topic}"`);
      out(topic !== undefined ? commandHelp(topic) : generalHelp());
      return 0;
    }
    if (args.options.has('--help')) {
      out(command !== undefined ? commandHelp(command) : generalHelp());
      return 0;
    }
    if (command === undefined) throw new UsageError('no command given');
    if (command === 'serve') {
      throw new UsageError(
        'serve runs the gateway: start it from the carrier-gateway program itself',
        'serve',
      );
    }
    let client: AdminClient | undefined;
    const context: Context = {
      args,
      out,
      err,
      colour: useColour(env, io.stdout.isTTY),
      client: () =>
        (client ??= new AdminClient(
          gatewayUrl(text(args, '--url'), env, DEFAULT_GATEWAY_URL),
          adminKey(env),
        )),
    };
    return await HANDLERS[command]!(context);
  } catch (error) {
    if (error instanceof UsageError) {
      const about = error.command ?? command;
      const usage = !error.showUsage
        ? ''
        : about !== undefined && CLI_COMMANDS[about] !== undefined
          ? `usage: ${CLI_COMMANDS[about].usage}\n`
          : 'run "carrier-gateway help" for the commands\n';
      err(`carrier-gateway: ${error.message}\n${usage}`);
      return 2;
    }
    if (error instanceof GatewayCallError) {
      err(`carrier-gateway: ${printable(error.message)}\n`);
      return 1;
    }
    err(
      `carrier-gateway: unexpected failure: ${printable(error instanceof Error ? error.message : String(error))}\n`,
    );
    return 1;
  }
}

/**
 * Whether a command line starts the gateway: no arguments, `serve`, or the options `src/main.ts`
 * took before it had commands (`--config FILE`, and any other that is not an admin command's).
 * Help is never served: `serve --help` prints the usage.
 */
export function isServeCommandLine(argv: readonly string[]): boolean {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return false;
  const first = argv[0];
  if (first === undefined || first === 'serve') return true;
  if (!first.startsWith('-')) return false;
  // `--url URL status` or `--json status`: global options ahead of an admin command.
  return !['--url', '--json'].includes(first.split('=')[0]!);
}
