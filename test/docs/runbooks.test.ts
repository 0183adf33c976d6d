/**
 * @module test/docs/runbooks
 * The runbooks stay true to the code: every failure class and every runbook an alert can name has
 * a page under docs/runbooks/ with the five sections an operator relies on; every
 * `carrier-gateway` command the pages (and their index) show, in shell blocks or inline, is a real
 * command with options it takes and reads as a valid command line; and the index links every page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseArgs } from '../../src/cli/args.js';
import { CLI_COMMANDS } from '../../src/cli/commands.js';
import { FAILURE_CLASSES, RUNBOOK_BASE, RUNBOOKS } from '../../src/health/taxonomy.js';
import { projectRoot } from '../../src/project-root.js';

const root = projectRoot();
const folder = join(root, RUNBOOK_BASE);
const SECTIONS = ['Recognise it', 'Act', 'Fail over or wait', 'Restore', 'Tell the shipping team'] as const;

const pages = readdirSync(folder).filter((name) => name.endsWith('.md') && name !== 'README.md');
const read = (name: string) => readFileSync(join(folder, name), 'utf8');

/** Runbook names the alert rules give as literals (beyond the taxonomy's mapping). */
function alertRunbooks(): string[] {
  const names = new Set<string>();
  for (const file of ['src/health/alert-rules.ts', 'src/health/alert-events.ts']) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/runbook: '([a-z]+(?:-[a-z]+)*)'/g)) names.add(match[1]!);
    const byInput = /RUNBOOK_BY_INPUT[^=]*=\s*\{([^}]*)\}/.exec(source)?.[1];
    for (const match of byInput?.matchAll(/:\s*'([a-z]+(?:-[a-z]+)*)'/g) ?? []) names.add(match[1]!);
  }
  return [...names];
}

/** Splits a shell line into words, keeping quoted strings whole. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/**
 * What is wrong with one `carrier-gateway ...` line, or null: the command must exist, every
 * option must be one it takes, and the whole line must parse as the CLI parses it.
 */
export function commandProblem(line: string): string | null {
  const argv = words(line.replace(/\s+#.*$/, '')).slice(1);
  const command = argv[0];
  if (command === undefined) return 'no command';
  const known = CLI_COMMANDS[command];
  if (known === undefined) return `unknown command "${command}"`;
  for (const word of argv) {
    if (!word.startsWith('--')) continue;
    const option = word.split('=')[0]!;
    if (!known.options.includes(option)) return `"${command}" takes no ${option}`;
  }
  try {
    parseArgs(argv);
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** Every `carrier-gateway` line of a page: in ```sh blocks, and in inline code. */
function commandLines(text: string): string[] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('carrier-gateway ')) lines.push(line);
    }
  }
  const prose = text.replace(/```[\s\S]*?```/g, '');
  for (const span of prose.matchAll(/`(carrier-gateway [^`]+)`/g)) lines.push(span[1]!);
  return lines;
}

describe('runbooks', () => {
  it('every failure class and every runbook an alert names has a page', () => {
    const needed = new Set([
      ...FAILURE_CLASSES.map((failureClass) => RUNBOOKS[failureClass]),
      ...alertRunbooks(),
    ]);
    expect(needed.size).toBeGreaterThanOrEqual(10);
    for (const name of needed) expect(pages, `docs/runbooks/${name}.md`).toContain(`${name}.md`);
  });

  it.each(pages)('%s has the five sections, each with something in it', (page) => {
    const text = read(page);
    expect(text).toMatch(/^# \S/);
    for (const section of SECTIONS) {
      const heading = `\n## ${section}\n`;
      expect(text, `${page}: ## ${section}`).toContain(heading);
      const body = text.slice(text.indexOf(heading) + heading.length).split(/\n## /)[0]!;
      expect(body.trim().length, `${page}: ## ${section} is empty`).toBeGreaterThan(40);
    }
  });

  it('every carrier-gateway command on the pages exists, with options it takes', () => {
    let checked = 0;
    for (const page of [...pages, 'README.md']) {
      for (const line of commandLines(read(page))) {
        checked += 1;
        expect(commandProblem(line), `${page}: ${line}`).toBeNull();
      }
    }
    // Every page but the index acts through the CLI.
    for (const page of pages) expect(commandLines(read(page)).length, page).toBeGreaterThan(0);
    expect(checked).toBeGreaterThan(40);
  });

  it('the checker refuses a made-up command, an option a command does not take, and an option without its value', () => {
    expect(commandProblem('carrier-gateway failover ups-main --reason "x"')).toBeNull();
    expect(commandProblem('carrier-gateway reboot ups-main')).toMatch(/unknown command "reboot"/);
    expect(commandProblem('carrier-gateway restore ups-main --to fedex-main')).toMatch(/takes no --to/);
    expect(commandProblem('carrier-gateway failover ups-main --reason')).not.toBeNull();
  });

  it('the index links every page, and nothing else', () => {
    const index = read('README.md');
    const linked = [...index.matchAll(/\]\(([a-z-]+\.md)\)/g)].map((match) => match[1]!);
    expect([...new Set(linked)].sort()).toEqual([...pages].sort());
  });
});
