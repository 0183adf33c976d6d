/**
 * @module test/cli/commands.test
 * The command table others build on (the runbooks are checked against `CLI_COMMANDS`), the
 * argument parser's rules, and the pure formatting: the colour decision, durations, tables and
 * the clean-up of text from the gateway. No gateway here.
 */
import { describe, expect, it } from 'vitest';

import { parseArgs, UsageError } from '../../src/cli/args.js';
import { CLI_COMMANDS, CLI_GLOBAL_OPTIONS, CLI_OPTIONS, commandHelp } from '../../src/cli/commands.js';
import { duration, printable, table, useColour } from '../../src/cli/format.js';
import { isServeCommandLine } from '../../src/cli/run.js';

describe('CLI_COMMANDS', () => {
  it('has exactly the published commands', () => {
    expect(Object.keys(CLI_COMMANDS).sort()).toEqual(
      [
        'audit',
        'breaker',
        'drain',
        'failover',
        'help',
        'probe',
        'purge',
        'refresh',
        'reload',
        'restore',
        'shipments',
        'serve',
        'status',
      ].sort(),
    );
    expect(CLI_GLOBAL_OPTIONS).toEqual(['--url', '--json', '--help']);
    expect(CLI_COMMANDS.failover!.options).toEqual([
      '--to',
      '--reason',
      '--ttl',
      '--if-version',
      '--url',
      '--json',
      '--help',
    ]);
  });

  it('every admin command takes the global options; every option is described and in its usage or global', () => {
    for (const [name, command] of Object.entries(CLI_COMMANDS)) {
      expect(command.usage.startsWith(`carrier-gateway ${name}`), name).toBe(true);
      if (name !== 'serve' && name !== 'help')
        expect(command.options).toEqual(expect.arrayContaining([...CLI_GLOBAL_OPTIONS]));
      for (const option of command.options) {
        expect(CLI_OPTIONS[option], `${name} ${option}`).toBeDefined();
        if (!(CLI_GLOBAL_OPTIONS as readonly string[]).includes(option))
          expect(command.usage, name).toContain(option);
        expect(commandHelp(name)).toContain(option);
      }
    }
  });

  it('the admin key is no option of any command', () => {
    for (const name of Object.keys(CLI_OPTIONS)) expect(name).not.toMatch(/key|token|secret/i);
  });
});

describe('parseArgs', () => {
  const usage = (argv: string[]) => {
    try {
      parseArgs(argv);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as UsageError).message;
    }
    throw new Error(`no usage error for ${argv.join(' ')}`);
  };

  it('reads options before or after arguments, --name=value, and -- ends the options', () => {
    const parsed = parseArgs(['--url=http://gw:8080', 'failover', 'ups-main', '--reason', 'INC 7', '--json']);
    expect(parsed.command).toBe('failover');
    expect(parsed.positionals).toEqual(['ups-main']);
    expect(Object.fromEntries(parsed.options)).toEqual({
      '--url': 'http://gw:8080',
      '--reason': 'INC 7',
      '--json': true,
    });
    expect(parseArgs(['status', '--', '--odd-account']).positionals).toEqual(['--odd-account']);
    expect(parseArgs(['status', '-h']).options.get('--help')).toBe(true);
  });

  it('refuses what the command does not take, twice-given options, missing values and values on flags', () => {
    expect(usage(['audit', '--to', 'x'])).toBe('audit does not take --to');
    expect(usage(['drain', 'a', '--reason', 'x', '--reason', 'y'])).toBe('--reason given twice');
    expect(usage(['failover', 'a', '--reason', '--ttl', '60'])).toBe('--reason needs a value (TEXT)');
    expect(usage(['status', '--json=yes'])).toBe('--json takes no value');
    expect(usage(['status', '--admin-key', 'x'])).toBe('unknown option --admin-key');
    expect(usage(['stauts'])).toBe('unknown command "stauts"');
  });
});

describe('isServeCommandLine', () => {
  it('serves for no arguments, serve, and the options main.ts always took; not for commands or help', () => {
    for (const argv of [
      [],
      ['serve'],
      ['serve', '--config', 'f'],
      ['--config', 'f'],
      ['--config=f'],
      ['--port', '1'],
    ])
      expect(isServeCommandLine(argv), argv.join(' ')).toBe(true);
    for (const argv of [
      ['status'],
      ['--url', 'http://x', 'status'],
      ['--json', 'audit'],
      ['serve', '--help'],
      ['--help'],
      ['help'],
    ])
      expect(isServeCommandLine(argv), argv.join(' ')).toBe(false);
  });
});

describe('formatting', () => {
  it('colour: FORCE_COLOR decides when set, then NO_COLOR and TERM=dumb, then the terminal', () => {
    expect(useColour({}, true)).toBe(true);
    expect(useColour({}, false)).toBe(false);
    expect(useColour({}, undefined)).toBe(false);
    expect(useColour({ NO_COLOR: '1' }, true)).toBe(false);
    expect(useColour({ NO_COLOR: '' }, true)).toBe(true);
    expect(useColour({ TERM: 'dumb' }, true)).toBe(false);
    expect(useColour({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(useColour({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
    expect(useColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(useColour({ FORCE_COLOR: '' }, false)).toBe(false);
  });

  it('durations read at a glance', () => {
    expect([null, -5, 0, 42, 250, 3599, 3600, 14_399, 90_000].map(duration)).toEqual([
      '-',
      'expired',
      'expired',
      '42s',
      '4m 10s',
      '59m 59s',
      '1h 00m',
      '3h 59m',
      '1d 01h',
    ]);
  });

  it('tables pad every column but the last, and control characters from the gateway cannot reach the terminal', () => {
    expect(table(['A', 'BB'], [['xyz', 'reason\x1b[2Jwith\nnewline']], false)).toBe(
      'A    BB\nxyz  reason [2Jwith newline\n',
    );
    expect(printable('ok\u009b31m')).toBe('ok 31m');
  });
});
