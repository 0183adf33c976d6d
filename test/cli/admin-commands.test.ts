/**
 * @module test/cli/admin-commands.test
 * Every admin command of `carrier-gateway` through `run()` against a real embedded gateway
 * (started from a configuration file, so reload works) with UPS and FedEx simulators: the status
 * table and its colour rules, failover/restore, drain, breaker, refresh, purge, probe, reload and
 * audit, each checked in the gateway's own state as well as in what is printed; and the failures:
 * usage errors (exit 2, nothing sent), a wrong key and a refused action (exit 1 with the code),
 * a gateway that is not there (exit 1 naming the URL).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { loadConfigFile } from '../../config/load.js';
import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import type { AuditEntry } from '../../src/admin/audit-log.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { AccountHealth } from '../../src/health/health-service.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { writeConfig } from '../support/gateway-process.js';
import { registerSecrets, testLogger } from '../support/log-capture.js';
import { ANSI, closeAll, closedPort, gatewayYaml, readTable, runCli, type CliOptions } from './harness.js';

const CLIENT_KEY = `cli-client-${randomUUID()}`;
const NEW_CLIENT_KEY = `cli-client-new-${randomUUID()}`;
const ADMIN_KEY = `cli-admin-${randomUUID()}`;
const WRONG_KEY = `cli-wrong-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'cli-ups', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX_CLIENT = { clientId: 'cli-fedex', clientSecret: `fedex-secret-${randomUUID()}` };
registerSecrets(
  CLIENT_KEY,
  NEW_CLIENT_KEY,
  ADMIN_KEY,
  WRONG_KEY,
  UPS_CLIENT.clientSecret,
  FEDEX_CLIENT.clientSecret,
);

let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let gateway: Gateway;
let url: string;
let file: string;

const yaml = (clientKey: string, extra?: Record<string, unknown>) =>
  gatewayYaml({
    upsUrl: ups.url,
    fedexUrl: fedex.url,
    clientKey,
    adminKey: ADMIN_KEY,
    ups: UPS_CLIENT,
    fedex: FEDEX_CLIENT,
    ...(extra ? { extra } : {}),
  });

const cli = (argv: string[], options?: CliOptions) => runCli({ url, adminKey: ADMIN_KEY }, argv, options);

async function audit(): Promise<AuditEntry[]> {
  const response = await fetch(`${url}/v1/admin/audit?limit=1000`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

async function health(): Promise<AccountHealth[]> {
  const response = await fetch(`${url}/v1/health/carriers`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return ((await response.json()) as { carriers: AccountHealth[] }).carriers;
}

function row(output: string, account: string): Record<string, string> {
  const found = readTable(output).find((entry) => entry.ACCOUNT === account);
  expect(found, `no row for ${account} in:\n${output}`).toBeDefined();
  return found!;
}

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  file = writeConfig(yaml(CLIENT_KEY));
  gateway = await createGateway(loadConfigFile(file), {
    log: testLogger('cli'),
    configFile: { path: file },
  });
  url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
});

beforeEach(async () => {
  for (const id of ['ups-main', 'fedex-main', 'fedex-spare'])
    await gateway.overrides.set(id, { drained: false, breaker: 'auto' });
});

afterAll(() => closeAll(gateway, ups, fedex));

describe('status', () => {
  it('prints one row per account with the columns operators read, without colour off a terminal', async () => {
    const result = await cli(['status']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^ACCOUNT +CARRIER +STATUS +SCORE +BREAKER +TOKEN EXPIRES IN +OVERRIDE +FAILURE$/,
    );
    const reports = await health();
    expect(readTable(result.stdout).map((entry) => entry.ACCOUNT)).toEqual(reports.map((r) => r.account));
    for (const report of reports) {
      expect(row(result.stdout, report.account)).toMatchObject({
        CARRIER: report.carrier,
        STATUS: report.status,
        SCORE: String(report.score),
        BREAKER: report.breaker.state.replace('_', '-'),
        OVERRIDE: '-',
        FAILURE: report.currentFailureClass ?? '-',
      });
    }
  });

  it('colours the status by its value with FORCE_COLOR, lined up as the plain table', async () => {
    const plain = await cli(['status']);
    const coloured = await cli(['status'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.code).toBe(0);
    const colours = { healthy: 32, degraded: 33, down: 31 } as const;
    for (const report of await health()) {
      expect(coloured.stdout).toContain(`\x1b[${colours[report.status]}m${report.status}\x1b[39m`);
    }
    expect(coloured.stdout.replace(ANSI, '')).toBe(plain.stdout);
  });

  it('colours on a terminal, but not with NO_COLOR, and FORCE_COLOR=0 turns it off', async () => {
    expect((await cli(['status'], { tty: true })).stdout).toMatch(ANSI);
    expect((await cli(['status'], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await cli(['status'], { tty: true, env: { FORCE_COLOR: '0' } })).stdout).not.toMatch(ANSI);
    expect((await cli(['status'], { tty: false, env: { NO_COLOR: '' } })).stdout).not.toMatch(ANSI);
  });

  it('--json prints the gateway’s answer; ACCOUNT narrows it to one, with an unknown one refused', async () => {
    const json = await cli(['status', '--json']);
    const parsed = JSON.parse(json.stdout) as { carriers: AccountHealth[] };
    expect(parsed.carriers.map((report) => report.account).sort()).toEqual([
      'fedex-main',
      'fedex-spare',
      'ups-main',
    ]);

    const one = await cli(['status', 'fedex-spare']);
    expect(one.code).toBe(0);
    expect(readTable(one.stdout.split('\n\n')[0]!).map((entry) => entry.ACCOUNT)).toEqual(['fedex-spare']);

    const unknown = await cli(['status', 'dhl-nowhere']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/^carrier-gateway: ERR_ACCOUNT_NOT_FOUND: /);
  });
});

describe('overrides', () => {
  it('failover sends the account to the target, status shows it, restore takes it back', async () => {
    const set = await cli([
      'failover',
      'ups-main',
      '--to',
      'fedex-spare',
      '--reason',
      'INC-7 UPS auth',
      '--ttl',
      '600',
    ]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(
      /^ups-main: failover → fedex-spare until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(version \d+\)\n$/,
    );
    const current = gateway.overrides.current('ups-main');
    expect(current.failover).toEqual({ to: 'fedex-spare' });
    expect(current.parts?.failover).toMatchObject({ by: 'oncall-dana', reason: 'INC-7 UPS auth' });
    expect(current.parts!.failover!.until! - Date.now()).toBeGreaterThan(590_000);

    expect(row((await cli(['status'])).stdout, 'ups-main').OVERRIDE).toMatch(
      /^failover → fedex-spare until /,
    );

    const restored = await cli(['restore', 'ups-main', '--reason', 'INC-7 over']);
    expect(restored).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ups-main: no override \(version \d+\)\n$/),
    });
    expect(gateway.overrides.current('ups-main').failover).toBeUndefined();
    expect(row((await cli(['status'])).stdout, 'ups-main').OVERRIDE).toBe('-');
  });

  it('--if-version acts on the version given only; --json prints the answer with its version', async () => {
    const first = await cli(['failover', 'fedex-main', '--reason', 'to the next account', '--json']);
    expect(first.code).toBe(0);
    const answer = JSON.parse(first.stdout) as { version: number; override: { failover: object } };
    expect(answer.override.failover).toEqual({});

    const stale = await cli(['restore', 'fedex-main', '--if-version', String(answer.version - 1)]);
    expect(stale).toMatchObject({ code: 1, stdout: '' });
    expect(stale.stderr).toMatch(/^carrier-gateway: ERR_OVERRIDE_VERSION_CONFLICT: /);
    expect(gateway.overrides.current('fedex-main').failover).toEqual({});

    const fresh = await cli(['restore', 'fedex-main', '--if-version', String(answer.version)]);
    expect(fresh.code).toBe(0);
    expect(gateway.overrides.current('fedex-main').failover).toBeUndefined();
  });

  it('a target the gateway refuses: exit 1 with its code, nothing changed', async () => {
    const result = await cli(['failover', 'ups-main', '--to', 'ups-main', '--reason', 'loop']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'carrier-gateway: ERR_OVERRIDE_CONFLICT: an account cannot fail over to itself\n',
    );
    expect(gateway.overrides.current('ups-main').failover).toBeUndefined();
  });

  it('drain and drain --off', async () => {
    const drained = await cli(['drain', 'fedex-spare', '--reason', 'carrier maintenance']);
    expect(drained).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^fedex-spare: drained \(version \d+\)\n$/),
    });
    expect(gateway.overrides.current('fedex-spare').drained).toBe(true);
    expect(row((await cli(['status'])).stdout, 'fedex-spare').OVERRIDE).toBe('drained');

    expect((await cli(['drain', 'fedex-spare', '--off'])).code).toBe(0);
    expect(gateway.overrides.current('fedex-spare').drained).toBe(false);
    expect(row((await cli(['status'])).stdout, 'fedex-spare').OVERRIDE).toBe('-');
  });

  it('breaker open|closed|auto forces the breaker and gives it back; status says forced', async () => {
    const opened = await cli(['breaker', 'fedex-spare', 'open', '--reason', 'carrier says keys leaked']);
    expect(opened).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^fedex-spare: breaker forced open \(version/),
    });
    expect(gateway.overrides.current('fedex-spare').breaker).toBe('open');
    expect(row((await cli(['status'])).stdout, 'fedex-spare').BREAKER).toMatch(/\(forced open\)$/);

    expect((await cli(['breaker', 'fedex-spare', 'auto', '--reason', 'keys rotated'])).code).toBe(0);
    expect(gateway.overrides.current('fedex-spare').breaker).toBe('auto');
    expect(row((await cli(['status'])).stdout, 'fedex-spare').BREAKER).not.toContain('forced');
  });
});

describe('tokens and probes', () => {
  it('refresh fetches a token now (status shows its expiry); purge drops it', async () => {
    const before = ups.stats().tokenRequests;
    const refreshed = await cli(['refresh', 'ups-main', '--reason', 'check the new secret']);
    expect(refreshed.code).toBe(0);
    const generation = gateway.engine.tokenManager('ups-main')!.peek()!.generation;
    expect(refreshed.stdout).toMatch(
      new RegExp(`^ups-main: token refreshed \\(generation ${generation}, expires \\d{4}-`),
    );
    expect(ups.stats().tokenRequests).toBe(before + 1);
    expect(row((await cli(['status'])).stdout, 'ups-main')['TOKEN EXPIRES IN']).toMatch(/^\d+h \d\dm$/);

    const purged = await cli(['purge', 'ups-main', '--reason', 'suspected leak']);
    expect(purged).toMatchObject({ code: 0, stdout: 'ups-main: tokens purged\n' });
    expect(gateway.engine.tokenManager('ups-main')!.peek()).toBeUndefined();
    expect(row((await cli(['status'])).stdout, 'ups-main')['TOKEN EXPIRES IN']).toBe('-');
  });

  it('probe prints each step and the verdict', async () => {
    const result = await cli(['probe', 'fedex-main', '--reason', 'after the fix']);
    expect(result.code).toBe(0);
    const [title, ...steps] = result.stdout.split('\n');
    expect(title).toMatch(/^probe of fedex-main at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: ok$/);
    const table = readTable(steps.join('\n'));
    expect(table.map((step) => step.STEP)).toEqual(expect.arrayContaining(['token', 'call', 'classify']));
    for (const step of table)
      expect(step).toMatchObject({ RESULT: 'ok', TIME: expect.stringMatching(/^\d+ ms$/) });
    const last = (await health()).find((report) => report.account === 'fedex-main')!.lastProbe!;
    expect(title).toContain(last.at.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'));
  });
});

describe('reload', () => {
  it('reports what was applied; a broken file is refused with its code and changes nothing', async () => {
    const accounts = (key: string) =>
      fetch(`${url}/v1/accounts`, { headers: { authorization: `Bearer ${key}` } });
    try {
      writeFileSync(file, yaml(NEW_CLIENT_KEY));
      const applied = await cli(['reload', '--reason', 'rotate the shop key']);
      expect(applied).toMatchObject({ code: 0, stderr: '' });
      expect(applied.stdout).toMatch(
        /^reloaded on 1 instance\napplied: clients\nrestart required: nothing\n\n/,
      );
      expect(readTable(applied.stdout.split('\n\n')[1]!)).toEqual([
        expect.objectContaining({ RESULT: 'ok', APPLIED: 'clients', 'RESTART REQUIRED / DETAIL': 'nothing' }),
      ]);
      expect((await accounts(NEW_CLIENT_KEY)).status).toBe(200);

      writeFileSync(file, yaml(CLIENT_KEY, { listen: { port: 'not a port' } }));
      const refused = await cli(['reload', '--reason', 'broken file']);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(/^carrier-gateway: ERR_CONFIG_RELOAD_REJECTED: .*listen\.port/);
      expect((await accounts(NEW_CLIENT_KEY)).status).toBe(200);
    } finally {
      writeFileSync(file, yaml(CLIENT_KEY));
      expect((await cli(['reload', '--reason', 'back to the start'])).code).toBe(0);
    }
  });
});

describe('audit', () => {
  it('lists the actions taken through the command line with the admin id and reason', async () => {
    const tag = randomUUID().slice(0, 8);
    const steps = [
      ['failover', 'fedex-spare', '--to', 'fedex-main', '--reason', `${tag} failover`],
      ['restore', 'fedex-spare', '--reason', `${tag} restore`],
      ['drain', 'fedex-spare', '--reason', `${tag} drain`],
      ['drain', 'fedex-spare', '--off', '--reason', `${tag} undrain`],
      ['breaker', 'fedex-spare', 'closed', '--reason', `${tag} breaker`],
      ['refresh', 'fedex-spare', '--reason', `${tag} refresh`],
      ['purge', 'fedex-spare', '--reason', `${tag} purge`],
      ['probe', 'fedex-spare', '--reason', `${tag} probe`],
    ];
    for (const argv of steps) expect((await cli(argv)).code, argv.join(' ')).toBe(0);

    const listed = await cli(['audit', '--account', 'fedex-spare', '--limit', String(steps.length)]);
    expect(listed.code).toBe(0);
    const rows = readTable(listed.stdout);
    expect(rows.map((entry) => entry.ACTION)).toEqual(
      ['failover', 'restore', 'drain', 'undrain', 'breaker', 'refresh', 'purge', 'probe'].reverse(),
    );
    for (const entry of rows) {
      expect(entry).toMatchObject({
        AT: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
        ADMIN: 'oncall-dana',
        ACCOUNT: 'fedex-spare',
        REASON: `${tag} ${entry.ACTION}`,
        RESULT: 'ok',
      });
    }

    const refusedRow = await cli(['failover', 'fedex-spare', '--to', 'nowhere', '--reason', `${tag} bad`]);
    expect(refusedRow.code).toBe(1);
    const last = await cli(['audit', '--action', 'failover', '--limit', '1']);
    expect(row(last.stdout, 'fedex-spare')).toMatchObject({
      REASON: `${tag} bad`,
      RESULT: 'ERR_ACCOUNT_NOT_FOUND',
    });

    const json = JSON.parse(
      (await cli(['audit', '--account', 'fedex-spare', '--limit', '2', '--json'])).stdout,
    ) as {
      entries: AuditEntry[];
    };
    expect(json.entries.map((entry) => entry.action)).toEqual(['failover', 'probe']);
  });
});

describe('failures', () => {
  it('an unknown command, option or breaker mode: exit 2 with the usage, nothing sent', async () => {
    const before = (await audit()).length;
    const unknown = await cli(['fail-over', 'ups-main']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(
      'carrier-gateway: unknown command "fail-over"\nrun "carrier-gateway help" for the commands\n',
    );

    const option = await cli(['status', '--reason', 'x']);
    expect(option).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('status does not take --reason'),
    });
    const unknownOption = await cli(['drain', 'ups-main', '--reason', 'x', '--for', '60']);
    expect(unknownOption.stderr).toMatch(
      /^carrier-gateway: unknown option --for\nusage: carrier-gateway drain ACCOUNT/,
    );
    expect((await cli(['breaker', 'ups-main', 'half-open', '--reason', 'x'])).code).toBe(2);
    expect((await cli(['drain', 'ups-main', '--off', '--ttl', '60'])).code).toBe(2);
    expect((await cli(['failover', 'ups-main', '--reason', 'x', '--ttl', 'soon'])).stderr).toContain(
      '--ttl: expected a whole number',
    );
    expect((await audit()).length).toBe(before);
  });

  it('a missing --reason or ACCOUNT: exit 2 naming it, and the gateway is not called', async () => {
    const before = (await audit()).length;
    for (const argv of [
      ['failover', 'ups-main', '--to', 'fedex-main'],
      ['drain', 'ups-main'],
      ['breaker', 'ups-main', 'open'],
      ['refresh', 'ups-main'],
      ['purge', 'ups-main', '--reason', '  '],
      ['reload'],
    ]) {
      const result = await cli(argv);
      expect(result, argv.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(new RegExp(`^carrier-gateway: ${argv[0]} needs --reason TEXT\nusage: `));
    }
    expect((await cli(['failover', '--reason', 'x'])).stderr).toMatch(
      /^carrier-gateway: failover needs ACCOUNT\n/,
    );
    expect((await cli(['restore', 'a', 'b'])).stderr).toMatch(/^carrier-gateway: unexpected argument "b"\n/);
    expect((await audit()).length).toBe(before);
    expect(gateway.overrides.current('ups-main')).toMatchObject({ drained: false, breaker: 'auto' });
  });

  it('help and --help print the usage on stdout with status 0', async () => {
    const general = await cli(['help'], { env: { GATEWAY_ADMIN_KEY: undefined } });
    expect(general.code).toBe(0);
    for (const name of ['serve', 'status', 'failover', 'audit'])
      expect(general.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const one = await cli(['failover', '--help']);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout).toMatch(/^usage: carrier-gateway failover ACCOUNT \[--to TARGET\] --reason TEXT/);
    expect((await cli(['help', 'drain'])).stdout).toContain('--off');
    expect((await cli(['help', 'nothing'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it('no GATEWAY_ADMIN_KEY: exit 2 saying where the key comes from', async () => {
    const result = await cli(['status'], { env: { GATEWAY_ADMIN_KEY: undefined } });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      'carrier-gateway: GATEWAY_ADMIN_KEY is not set: admin commands read the admin key from the environment only\n',
    );
  });

  it('a wrong key: exit 1 with the gateway’s code, and neither key printed', async () => {
    const result = await cli(['failover', 'ups-main', '--reason', 'x'], {
      env: { GATEWAY_ADMIN_KEY: WRONG_KEY },
    });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^carrier-gateway: ERR_ADMIN_UNAUTHENTICATED: /);
    expect(result.stderr).not.toContain(WRONG_KEY);
    expect(gateway.overrides.current('ups-main').failover).toBeUndefined();
    // A shipping app's key is a wrong key for the admin API too.
    const client = await cli(['drain', 'ups-main', '--reason', 'x'], {
      env: { GATEWAY_ADMIN_KEY: CLIENT_KEY },
    });
    expect(client.stderr).toMatch(/^carrier-gateway: ERR_ADMIN_UNAUTHENTICATED: /);
    expect(client.stderr).not.toContain(CLIENT_KEY);
  });

  it('a gateway that is not there: exit 1 naming the URL, from --url or GATEWAY_URL', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const viaOption = await cli(['status', '--url', down]);
    expect(viaOption).toMatchObject({ code: 1, stdout: '' });
    expect(viaOption.stderr).toBe(
      `carrier-gateway: cannot reach the gateway at ${down}: connection refused\n`,
    );
    const viaEnv = await cli(['audit'], { env: { GATEWAY_URL: down } });
    expect(viaEnv.stderr).toContain(`cannot reach the gateway at ${down}`);
    expect((await cli(['status', '--url', 'ftp://example.test'])).code).toBe(2);
  });
});
