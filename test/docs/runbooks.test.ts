/**
 * @module test/docs/runbooks
 * The runbooks stay true to the code. Every failure class (src/core/failures.ts `RUNBOOKS`) and
 * every runbook an alert can name (src/alerts/rules.ts, alert-events.ts) has its page under
 * docs/runbooks/, and every page is one of those. Each page has the five sections an operator
 * relies on, in order and filled. Every `carrier-gateway` line the pages show (```sh blocks and
 * inline code) names a command of src/cli/commands.ts with options that command takes, and then
 * runs through the real command line (src/cli/run.ts) against a loopback stub of the admin API: a
 * usage error (a missing `--reason`, a bad `--ttl`, a wrong breaker mode) fails the page, and the
 * line must reach the API. The index links every page, and its table lists exactly the failure
 * classes that map to each page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI_COMMANDS } from '../../src/cli/commands.js';
import { run } from '../../src/cli/run.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import {
  FAILOVER_OUTCOMES,
  failoverEndVerdict,
  failoverVerdict,
  newNetworkVerdict,
} from '../../src/alerts/events.js';
import { breakerVerdict } from '../../src/alerts/rules.js';
import { FAILURE_CLASSES, RUNBOOK_BASE, RUNBOOKS } from '../../src/core/failure-classes.js';
import { projectRoot } from '../../src/platform/project-root.js';

const root = projectRoot();
const folder = join(root, RUNBOOK_BASE);
const SECTIONS = ['Recognise it', 'Act', 'Fail over or wait', 'Restore', 'Tell the shipping team'] as const;
/** Shorter than this, a section says nothing an operator can act on. */
const MIN_SECTION_CHARS = 40;

const pages = readdirSync(folder)
  .filter((name) => name.endsWith('.md') && name !== 'README.md')
  .sort();
const read = (name: string) => readFileSync(join(folder, name), 'utf8');
const withoutCode = (text: string) => text.replace(/```[\s\S]*?```/g, '');

// ---------------------------------------------------------------------------------------------
// The runbook names the code can link to

/** Names the alert modules give as string literals, for the branches no exported call reaches. */
function literalRunbooks(): string[] {
  const names = new Set<string>();
  for (const file of ['src/alerts/rules.ts', 'src/alerts/events.ts']) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/runbook: '([a-z]+(?:-[a-z]+)*)'/g)) names.add(match[1]!);
    // The score input → runbook table of the `status` rule (not exported).
    const byInput = /RUNBOOK_BY_INPUT[^=]*=\s*\{([^}]*)\}/.exec(source)?.[1];
    for (const match of byInput?.matchAll(/:\s*'([a-z]+(?:-[a-z]+)*)'/g) ?? []) names.add(match[1]!);
    // Fallbacks such as `?? 'carrier-api-outage'`: no other kebab-case literal lives in these files.
    for (const match of source.matchAll(/'([a-z]+(?:-[a-z]+)+)'/g)) names.add(match[1]!);
  }
  return [...names];
}

/** Names the exported event and breaker rules give, over every input they branch on. */
function exportedRunbooks(): string[] {
  const names = [
    newNetworkVerdict('shop', '192.0.2.0/24')?.runbook,
    failoverEndVerdict('ups-main')?.runbook,
    ...[...FAILOVER_OUTCOMES].flatMap((outcome) =>
      [undefined, ...ERROR_CODES].map(
        (code) =>
          failoverVerdict(
            { account: 'ups-main', outcome, ...(code !== undefined ? { failure: { code } } : {}) },
            'fedex-main',
          )?.runbook,
      ),
    ),
    ...['fresh_token_rejected', 'trial_failed', 'probe: downstream.timeout', ...ERROR_CODES].flatMap(
      (cause) =>
        (['open', 'closed'] as const).map(
          (state) => breakerVerdict('ups-main', { state, since: 0, cause })?.runbook,
        ),
    ),
  ];
  return names.filter((name): name is string => name !== undefined);
}

const classRunbooks = FAILURE_CLASSES.map((failureClass) => RUNBOOKS[failureClass]);
const needed = [...new Set([...classRunbooks, ...literalRunbooks(), ...exportedRunbooks()])].sort();

// ---------------------------------------------------------------------------------------------
// Command lines

/** Shell words, quotes kept together and removed; an unquoted `#` starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    if (match[3]?.startsWith('#')) break;
    words.push(match[1] ?? match[2] ?? match[3]!);
  }
  return words;
}

/** Every `carrier-gateway ...` line of a page: in ```sh blocks, and in inline code. */
function commandLines(text: string): string[] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('carrier-gateway ')) lines.push(line);
    }
  }
  for (const span of withoutCode(text).matchAll(/`(carrier-gateway [^`]+)`/g)) lines.push(span[1]!);
  return lines;
}

/** The admin API as far as a command line needs it: every call recorded, every answer a problem. */
const STUB_CODE = 'ERR_RUNBOOK_CHECK';
let stub: Server;
let stubUrl = '';
const requests: string[] = [];

beforeAll(async () => {
  stub = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(503, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ title: 'runbook check', status: 503, code: STUB_CODE }));
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => stub.close(() => resolve()));
});

/**
 * What is wrong with one `carrier-gateway ...` line, or null. The command must exist and take
 * every option given; then the real command line must accept the whole line (positionals,
 * required options, values) and send it to the admin API.
 */
async function commandProblem(line: string): Promise<string | null> {
  const words = shellWords(line);
  if (words[0] !== 'carrier-gateway') return 'not a carrier-gateway line';
  const argv = words.slice(1);
  const command = argv[0];
  if (command === undefined) return 'no command';
  const known = CLI_COMMANDS[command];
  if (known === undefined) return `unknown command "${command}"`;
  for (const word of argv.slice(1)) {
    if (!word.startsWith('--')) continue;
    const option = word.split('=')[0]!;
    if (!known.options.includes(option)) return `"${command}" takes no ${option}`;
  }
  // A documented --url points at a real gateway; the check talks to the stub instead.
  const local = argv.map((word, index) =>
    argv[index - 1] === '--url' ? stubUrl : word.startsWith('--url=') ? `--url=${stubUrl}` : word,
  );
  let stdout = '';
  let stderr = '';
  const before = requests.length;
  const status = await run(
    local,
    { GATEWAY_URL: stubUrl, GATEWAY_ADMIN_KEY: 'runbook-check-admin-key' },
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
  );
  const said = (stderr || stdout).split('\n')[0]!.replace(/^carrier-gateway: /, '');
  if (status === 2) return said;
  if (command === 'help') return status === 0 ? null : said;
  if (requests.length !== before + 1 || !stderr.includes(STUB_CODE))
    return `did not reach the admin API: ${said}`;
  return null;
}

/** Every command line of a page that is wrong, with what is wrong. */
async function pageProblems(text: string): Promise<string[]> {
  const problems: string[] = [];
  for (const line of commandLines(text)) {
    const problem = await commandProblem(line);
    if (problem !== null) problems.push(`${line}: ${problem}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('runbook pages', () => {
  it('exist for every failure class and every runbook an alert can name, and only for those', () => {
    // The alert code names at least client-key-new-network beyond the taxonomy's pages.
    expect(needed).toContain('client-key-new-network');
    expect(needed.length).toBeGreaterThanOrEqual(10);
    expect(pages).toEqual(needed.map((name) => `${name}.md`));
  });

  it.each(pages)('%s has a title and the five sections in order, each filled', (page) => {
    const text = withoutCode(read(page));
    expect(text, `${page}: title`).toMatch(/^# \S/);
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((match) => match[1]!.trim());
    expect(headings, page).toEqual([...SECTIONS]);
    const full = read(page);
    for (const section of SECTIONS) {
      const start = full.indexOf(`\n## ${section}\n`) + section.length + 5;
      const body = full.slice(start).split(/\n## /)[0]!.trim();
      expect(body.length, `${page}: ## ${section} is empty`).toBeGreaterThanOrEqual(MIN_SECTION_CHARS);
    }
  });

  it.each(pages)(
    '%s acts through carrier-gateway commands that exist, with options they take',
    async (page) => {
      const text = read(page);
      expect(commandLines(text).length, `${page} shows no carrier-gateway command`).toBeGreaterThan(0);
      expect(await pageProblems(text)).toEqual([]);
    },
  );

  it.each(pages)('%s links only to pages that exist', (page) => {
    const targets = [...read(page).matchAll(/\]\(([^)#:]+\.md)\)/g)].map((match) => match[1]!);
    for (const target of targets) expect(pages, `${page} → ${target}`).toContain(target);
  });
});

describe('the command-line check', () => {
  it('accepts a real command line and refuses a made-up command, a foreign option and usage errors', async () => {
    expect(
      await commandProblem('carrier-gateway failover ups-main --to fedex-main --reason "x" --ttl 3600'),
    ).toBeNull();
    expect(await commandProblem('carrier-gateway status ups-main --json   # health as JSON')).toBeNull();
    expect(await commandProblem('carrier-gateway help failover')).toBeNull();
    expect(await commandProblem('carrier-gateway reboot ups-main --reason "x"')).toBe(
      'unknown command "reboot"',
    );
    expect(await commandProblem('carrier-gateway restore ups-main --to fedex-main')).toBe(
      '"restore" takes no --to',
    );
    expect(await commandProblem('carrier-gateway failover ups-main')).toMatch(/needs --reason/);
    expect(await commandProblem('carrier-gateway failover ups-main --reason')).toMatch(
      /--reason needs a value/,
    );
    expect(await commandProblem('carrier-gateway failover ups-main --reason "x" --ttl soon')).toMatch(
      /--ttl: expected a whole number/,
    );
    expect(await commandProblem('carrier-gateway breaker ups-main half --reason "x"')).toMatch(
      /breaker mode/,
    );
    expect(await commandProblem('carrier-gateway refresh --reason "x"')).toMatch(/needs ACCOUNT/);
  });

  it('finds a made-up command in a page', async () => {
    const page = [
      '# Synthetic',
      '',
      '```sh',
      'carrier-gateway status ups-main',
      'carrier-gateway reboot ups-main --reason "INC-1"',
      '```',
      '',
      'Then `carrier-gateway drain ups-main --off --reason "back"`.',
    ].join('\n');
    expect(commandLines(page)).toHaveLength(3);
    expect(await pageProblems(page)).toEqual([
      'carrier-gateway reboot ups-main --reason "INC-1": unknown command "reboot"',
    ]);
  });
});

describe('the index, docs/runbooks/README.md', () => {
  const index = read('README.md');
  const rows = [...index.matchAll(/^\|\s*\[[^\]]+\]\(([a-z-]+\.md)\)\s*\|([^|]*)\|/gm)].map((match) => ({
    page: match[1]!,
    classes: [...match[2]!.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((found) => found[1]!).sort(),
  }));

  it('links every page, and nothing else', () => {
    const linked = [...index.matchAll(/\]\(([^)#:]+\.md)\)/g)].map((match) => match[1]!);
    expect([...new Set(linked)].sort()).toEqual(pages);
  });

  it('has one table row per page listing exactly the failure classes that map to it', () => {
    expect(rows.map((row) => row.page).sort()).toEqual(pages);
    for (const { page, classes } of rows) {
      const mapped = FAILURE_CLASSES.filter((failureClass) => `${RUNBOOKS[failureClass]}.md` === page).sort();
      expect(classes, page).toEqual(mapped);
    }
  });

  it('gives first commands that exist, with options they take', async () => {
    expect(commandLines(index).length).toBeGreaterThanOrEqual(pages.length);
    expect(await pageProblems(index)).toEqual([]);
  });
});
