/**
 * @module cli/args
 * Reads a `carrier-gateway` command line into its command, positional arguments and options,
 * checked against the tables in src/cli/commands.ts: an unknown command or option, an option the
 * command does not take, a missing value or a malformed number is a usage error (exit status 2).
 * Options may come before or after the arguments; `--name=value` and `--name value` both work;
 * `--` ends the options.
 */
import { CLI_COMMANDS, CLI_OPTIONS } from './commands.js';

/** A mistake in the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show, when known. */
    readonly command?: string,
    /** Off for mistakes in the environment, where the usage line would not help. */
    readonly showUsage = true,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  /** `undefined` when the line has no command (only options such as `--help`). */
  command: string | undefined;
  positionals: string[];
  /** Option name (with its dashes) → value; flags map to `true`. */
  options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  const options = new Map<string, string | true>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') {
      words.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg === '-h' ? '--help' : equals > 0 ? arg.slice(0, equals) : arg;
    const spec = CLI_OPTIONS[name];
    if (spec === undefined) throw new UsageError(`unknown option ${name}`, commandOf(words));
    if (options.has(name)) throw new UsageError(`${name} given twice`, commandOf(words));
    if (spec.value === undefined) {
      if (equals > 0) throw new UsageError(`${name} takes no value`, commandOf(words));
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (equals > 0) value = arg.slice(equals + 1);
    else {
      value = argv[index + 1];
      // `--reason --ttl 60` forgot the reason; it does not mean a reason of "--ttl".
      if (value !== undefined && value.startsWith('--')) value = undefined;
      else index += 1;
    }
    if (value === undefined) throw new UsageError(`${name} needs a value (${spec.value})`, commandOf(words));
    options.set(name, value);
  }

  const command = words[0];
  if (command !== undefined && CLI_COMMANDS[command] === undefined) {
    throw new UsageError(`unknown command "${command}"`);
  }
  if (command !== undefined) {
    const accepted = CLI_COMMANDS[command]!.options;
    for (const name of options.keys()) {
      if (!accepted.includes(name)) throw new UsageError(`${command} does not take ${name}`, command);
    }
  }
  return { command, positionals: words.slice(1), options };
}

function commandOf(words: readonly string[]): string | undefined {
  const first = words[0];
  return first !== undefined && CLI_COMMANDS[first] !== undefined ? first : undefined;
}

/** A string option, or `undefined` when absent. */
export function text(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A required string option; empty text counts as missing (the gateway would refuse it). */
export function required(args: ParsedArgs, name: string): string {
  const value = text(args, name);
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${args.command} needs ${name} ${CLI_OPTIONS[name]!.value}`, args.command);
  }
  return value;
}

/** A whole-number option within bounds, or `undefined` when absent. */
export function integer(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const value = text(args, name);
  if (value === undefined) return undefined;
  const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `${name}: expected a whole number from ${min} to ${max}, got "${value}"`,
      args.command,
    );
  }
  return number;
}

/** The positional arguments, exactly as many as the command names (`names`, then `optional` ones). */
export function positionals(args: ParsedArgs, names: readonly string[], optional: readonly string[] = []) {
  const given = args.positionals;
  if (given.length < names.length) {
    throw new UsageError(`${args.command} needs ${names[given.length]}`, args.command);
  }
  if (given.length > names.length + optional.length) {
    throw new UsageError(`unexpected argument "${given[names.length + optional.length]}"`, args.command);
  }
  return given;
}
