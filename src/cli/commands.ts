/**
 * @module cli/commands
 * The `carrier-gateway` command line as data: every command with its usage line, a one-line
 * summary and the long options it takes, and every option with whether it takes a value. The
 * parser (src/cli/args.ts), the help text and the runbooks' check (docs/runbooks) all read these
 * tables, so a command or option exists in one place only.
 */

/** Options every admin command takes. The admin key is never one: it would show in `ps`. */
export const CLI_GLOBAL_OPTIONS = ['--url', '--json', '--help'] as const;

export interface CliCommand {
  usage: string;
  summary: string;
  /** Long options the command accepts, the global ones included. */
  options: readonly string[];
}

const timed = ['--reason', '--ttl', '--if-version'] as const;

/**
 * The commands. `serve` runs the gateway itself (src/cli/serve.ts); the others call a running
 * gateway's admin API with the key from `GATEWAY_ADMIN_KEY`.
 *
 * @example
 * CLI_COMMANDS.failover.options.includes('--to'); // true
 */
export const CLI_COMMANDS: Readonly<Record<string, CliCommand>> = Object.freeze({
  serve: {
    usage: 'carrier-gateway serve (--config FILE | --demo) [--host ADDRESS]',
    summary:
      'run the gateway (the default when no command is given); SIGTERM drains it, SIGHUP reloads the configuration',
    options: ['--config', '--demo', '--host', '--help'],
  },
  status: {
    usage: 'carrier-gateway status [ACCOUNT]',
    summary: 'health of every carrier account (or one): status, score, breaker, token, overrides',
    options: [...CLI_GLOBAL_OPTIONS],
  },
  failover: {
    usage: 'carrier-gateway failover ACCOUNT [--to TARGET] --reason TEXT [--ttl SECONDS] [--if-version N]',
    summary: "send the account's shipments to TARGET (or the next account of each request)",
    options: ['--to', ...timed, ...CLI_GLOBAL_OPTIONS],
  },
  restore: {
    usage: 'carrier-gateway restore ACCOUNT [--reason TEXT] [--if-version N]',
    summary: 'end a manual failover',
    options: ['--reason', '--if-version', ...CLI_GLOBAL_OPTIONS],
  },
  drain: {
    usage:
      'carrier-gateway drain ACCOUNT --reason TEXT [--ttl SECONDS] [--if-version N]\n' +
      '       carrier-gateway drain ACCOUNT --off [--reason TEXT] [--if-version N]',
    summary: 'no new shipments to the account (--off: shipments again)',
    options: [...timed, '--off', ...CLI_GLOBAL_OPTIONS],
  },
  breaker: {
    usage: 'carrier-gateway breaker ACCOUNT open|closed|auto --reason TEXT [--ttl SECONDS] [--if-version N]',
    summary: "force the account's auth breaker open or closed, or give it back to the rules (auto)",
    options: [...timed, ...CLI_GLOBAL_OPTIONS],
  },
  refresh: {
    usage: 'carrier-gateway refresh ACCOUNT --reason TEXT',
    summary: 'a shared token refresh now, however fresh the token is',
    options: ['--reason', ...CLI_GLOBAL_OPTIONS],
  },
  purge: {
    usage: 'carrier-gateway purge ACCOUNT --reason TEXT',
    summary: "drop the account's tokens in Redis and on every instance",
    options: ['--reason', ...CLI_GLOBAL_OPTIONS],
  },
  probe: {
    usage: 'carrier-gateway probe ACCOUNT [--reason TEXT]',
    summary: 'run the synthetic probe now and show its steps',
    options: ['--reason', ...CLI_GLOBAL_OPTIONS],
  },
  reload: {
    usage: 'carrier-gateway reload --reason TEXT',
    summary: 'reload the configuration file on every instance',
    options: ['--reason', ...CLI_GLOBAL_OPTIONS],
  },
  shipments: {
    usage:
      'carrier-gateway shipments resolve ID (--created [--tracking NUMBER,...] | --failed) --reason TEXT',
    summary: 'settle a shipment whose label outcome is unknown, after checking at the carrier',
    options: ['--created', '--failed', '--tracking', '--reason', ...CLI_GLOBAL_OPTIONS],
  },
  audit: {
    usage: 'carrier-gateway audit [--account ID] [--action NAME] [--limit N]',
    summary: 'the audit log, newest first',
    options: ['--account', '--action', '--limit', ...CLI_GLOBAL_OPTIONS],
  },
  help: {
    usage: 'carrier-gateway help [COMMAND]',
    summary: 'this text, or one command’s',
    options: ['--help'],
  },
} satisfies Record<string, CliCommand>);

/** Every option: the ones that take a value name it (`--ttl SECONDS`); the others are flags. */
export const CLI_OPTIONS: Readonly<Record<string, { value?: string; help: string }>> = Object.freeze({
  '--config': { value: 'FILE', help: 'configuration file (else GATEWAY_CONFIG; one of them is required)' },
  '--demo': { help: 'run the demo: simulated carriers on this machine, no configuration' },
  '--host': { value: 'ADDRESS', help: 'listen on this address (the demo: 127.0.0.1 unless given)' },
  '--to': { value: 'TARGET', help: 'the account that takes the shipments' },
  '--reason': { value: 'TEXT', help: 'why, in your words (it goes to the audit log)' },
  '--ttl': { value: 'SECONDS', help: 'the change lapses by itself after this long' },
  '--if-version': { value: 'N', help: 'act only if the override is still at this version' },
  '--off': { help: 'undo the drain' },
  '--created': { help: 'the label exists at the carrier' },
  '--failed': { help: 'no label exists at the carrier: the client may ship again' },
  '--tracking': { value: 'NUMBER,...', help: 'the tracking numbers seen at the carrier (with --created)' },
  '--account': { value: 'ID', help: 'entries about this account only' },
  '--action': { value: 'NAME', help: 'entries of this action only (failover, restore, drain...)' },
  '--limit': { value: 'N', help: 'at most N entries (default 100, at most 1000)' },
  '--url': { value: 'URL', help: 'the gateway (else GATEWAY_URL, else http://127.0.0.1:8080)' },
  '--json': { help: 'print the gateway’s JSON answer as it is' },
  '--help': { help: 'show this help' },
});

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

const ENVIRONMENT = `environment:
  GATEWAY_ADMIN_KEY  the admin key (admin commands; never given on the command line)
  GATEWAY_URL        the gateway, when --url is not given (default ${DEFAULT_GATEWAY_URL})
  NO_COLOR, FORCE_COLOR  colour in tables (default: only on a terminal)

exit status: 0 done, 1 the gateway refused or could not be reached, 2 a usage error`;

/** The general help: every command with its summary. */
export function generalHelp(): string {
  const width = Math.max(...Object.keys(CLI_COMMANDS).map((name) => name.length));
  const lines = Object.entries(CLI_COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `usage: carrier-gateway [COMMAND] [ARGUMENTS] [OPTIONS]\n\ncommands:\n${lines.join('\n')}\n\n${ENVIRONMENT}\n\nrun "carrier-gateway help COMMAND" for a command's arguments and options.\n`;
}

/** One command's help: usage, summary and its options. */
export function commandHelp(name: string): string {
  const command = CLI_COMMANDS[name]!;
  const named = command.options.map((option) => {
    const spec = CLI_OPTIONS[option]!;
    return [spec.value ? `${option} ${spec.value}` : option, spec.help] as const;
  });
  const width = Math.max(...named.map(([label]) => label.length));
  const options = named.map(([label, help]) => `  ${label.padEnd(width)}  ${help}`).join('\n');
  return `usage: ${command.usage}\n\n${command.summary}\n\noptions:\n${options}\n`;
}
