/**
 * @module test/config/cli
 * Start-up failures of the real command line (src/main.ts) in a child process, with or without
 * the `serve` command: no configuration without `--demo` (what the image runs), `--demo` with a
 * configuration, a bad configuration, a missing variable, Redis without GATEWAY_ENCRYPTION_KEY and a malformed key all
 * exit non-zero with the key path or variable on stderr, and never a secret.
 */

import { describe, expect, it } from 'vitest';

import { registerSecrets } from '../support/log-capture.js';
import { runProgram, type ProgramExit } from '../support/main-program.js';
import { MINIMAL_YAML, tempDir, UPS_SECRET, writeTemp } from './fixtures.js';

type CliResult = ProgramExit;

/** Runs the program without GATEWAY_CONFIG, GATEWAY_HOST, PORT or the encryption key unless given. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['GATEWAY_CONFIG', 'GATEWAY_HOST', 'PORT', 'GATEWAY_ENCRYPTION_KEY']) {
    if (!env[name]) delete childEnv[name];
  }
  return runProgram(args, childEnv);
}

const dir = tempDir('cli');
/** Listens on an ephemeral loopback port, so a gateway that wrongly starts harms nothing. */
const LISTEN = 'listen: { port: 0, host: 127.0.0.1 }\n';

function expectFailedStart(result: CliResult) {
  expect(result.signal, `the gateway did not exit by itself:\n${result.stderr}`).toBeNull();
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^carrier-gateway: /);
  for (const output of [result.stdout, result.stderr]) expect(output).not.toContain(UPS_SECRET);
}

describe('carrier-gateway start-up failures', () => {
  it('an unknown nested key: exit 1, stderr names the key path', async () => {
    const file = writeTemp(
      dir(),
      'typo.yaml',
      LISTEN + MINIMAL_YAML.replace('clientSecret:', 'clientSecrte:'),
    );
    const result = await runCli(['--config', file]);
    expectFailedStart(result);
    expect(result.stderr).toContain(`invalid configuration: ${file} (1 problem):`);
    expect(result.stderr).toContain('  accounts[0].credentials: unknown key "clientSecrte"');
  });

  it('the explicit serve command takes the same arguments and fails the same way', async () => {
    const file = writeTemp(
      dir(),
      'serve.yaml',
      LISTEN + MINIMAL_YAML.replace('clientSecret:', 'clientSecrte:'),
    );
    const result = await runCli(['serve', '--config', file]);
    expectFailedStart(result);
    expect(result.stderr).toContain(`invalid configuration: ${file} (1 problem):`);
    expect(result.stderr).toContain('  accounts[0].credentials: unknown key "clientSecrte"');
  });

  it('a wrong type: exit 1, stderr names listen.port', async () => {
    const file = writeTemp(dir(), 'port.yaml', `${MINIMAL_YAML}listen: { port: "x" }\n`);
    const result = await runCli([`--config=${file}`]);
    expectFailedStart(result);
    expect(result.stderr).toContain('listen.port: Invalid input: expected number, received string');
  });

  it('an unset variable: exit 1, stderr names the variable and the key path', async () => {
    const file = writeTemp(
      dir(),
      'env.yaml',
      LISTEN + MINIMAL_YAML.replace(UPS_SECRET, '${CLI_TEST_UPS_SECRET}'),
    );
    const result = await runCli(['--config', file]);
    expectFailedStart(result);
    expect(result.stderr).toContain(
      'accounts[0].credentials.clientSecret: environment variable CLI_TEST_UPS_SECRET is not set',
    );
  });

  it('no configuration and no --demo: exit 1 naming --config, GATEWAY_CONFIG and --demo (the image never runs the demo)', async () => {
    for (const args of [[], ['serve']]) {
      const result = await runCli(args);
      expectFailedStart(result);
      expect(result.stderr).toBe(
        'carrier-gateway: no configuration: give --config FILE or set GATEWAY_CONFIG=FILE ' +
          '(--demo runs the demo instead, with simulated carriers on this machine)\n',
      );
      // Nothing was started: no simulator, no listener.
      expect(result.stdout).toBe('');
    }
  });

  it('--demo together with a configuration: exit 1 naming what is set', async () => {
    const file = writeTemp(dir(), 'demo.yaml', LISTEN + MINIMAL_YAML);
    const withFlag = await runCli(['--demo', '--config', file]);
    expectFailedStart(withFlag);
    expect(withFlag.stderr).toContain(
      '--demo runs the bundled demo and cannot be combined with a configuration (--config is set)',
    );
    const withEnv = await runCli(['--demo'], { GATEWAY_CONFIG: file });
    expectFailedStart(withEnv);
    expect(withEnv.stderr).toContain('(GATEWAY_CONFIG is set)');
  });

  it('an unknown argument: exit 1, stderr names it', async () => {
    const result = await runCli(['--port', '8080']);
    expectFailedStart(result);
    expect(result.stderr).toContain('unknown argument "--port"');
  });

  it('redis without GATEWAY_ENCRYPTION_KEY: exit 1 naming the variable, before touching Redis', async () => {
    // Port 1 is closed: reaching Redis would only log a warning and the gateway would start.
    const file = writeTemp(
      dir(),
      'redis.yaml',
      `${LISTEN}${MINIMAL_YAML}redis: { url: 'redis://127.0.0.1:1' }\n`,
    );
    const result = await runCli(['--config', file]);
    expectFailedStart(result);
    expect(result.stderr).toContain('GATEWAY_ENCRYPTION_KEY');
    // The explanation and the fix are printed, not only the variable's name.
    expect(result.stderr).toContain('tokens are encrypted at rest');
    expect(result.stderr).toContain('openssl rand -hex 32');
    expect(result.stdout).not.toContain('redis not reachable');
  });

  it('a malformed GATEWAY_ENCRYPTION_KEY: exit 1 naming the variable, not its value', async () => {
    const badKey = 'not-a-32-byte-key-1234567';
    registerSecrets(badKey);
    const file = writeTemp(
      dir(),
      'key.yaml',
      `${LISTEN}${MINIMAL_YAML}redis: { url: 'redis://127.0.0.1:1' }\n`,
    );
    const result = await runCli(['--config', file], { GATEWAY_ENCRYPTION_KEY: badKey });
    expectFailedStart(result);
    expect(result.stderr).toContain(
      'GATEWAY_ENCRYPTION_KEY: expected 32 bytes as 64 hex characters or base64',
    );
    expect(result.stderr).toContain('openssl rand -hex 32');
    expect(result.stderr + result.stdout).not.toContain(badKey);
  });

  it('every problem at once: each unset variable and each bad key, with its path and its fix', async () => {
    const text = (LISTEN + MINIMAL_YAML)
      .replace(UPS_SECRET, '${CLI_TEST_FIRST_UNSET}')
      .replace('ups-client-id', '${CLI_TEST_SECOND_UNSET}')
      .replace('      clientId:', '      clientSecrte: x\n      clientId:')
      .concat('shutdwn: { graceMs: 0 }\n');
    const file = writeTemp(dir(), 'many.yaml', text);
    const result = await runCli(['--config', file]);
    expectFailedStart(result);
    for (const line of [
      'environment variable CLI_TEST_FIRST_UNSET is not set',
      'environment variable CLI_TEST_SECOND_UNSET is not set',
      "fix: set CLI_TEST_FIRST_UNSET in the gateway's environment, or give the value as file:/path/to/secret",
      '(top level): unknown key "shutdwn"',
      'accounts[0].credentials: unknown key "clientSecrte"',
      'fix: did you mean "clientSecret"?',
      'fix: did you mean "shutdown"?',
    ])
      expect(result.stderr).toContain(line);
  });
});
