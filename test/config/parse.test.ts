/**
 * @module test/config/parse
 * The configuration file (config/schema.ts through config/load.ts `parseConfig`): a minimal file
 * and its defaults, and errors that name the key path and what was expected.
 */
import { describe, expect, it } from 'vitest';

import { loadConfigFile, parseConfig } from '../../config/load.js';
import { CARRIER_IDS } from '../../carriers/index.js';
import { DEMO_CONFIG_FILE } from '../../src/demo.js';
import { CLIENT_API_KEY, configFailure, MINIMAL_YAML, tempDir, UPS_SECRET, writeTemp } from './fixtures.js';

const parse = (text: string) => parseConfig(text, 'gateway.yaml', {});
const detailOf = (text: string) => configFailure(() => parse(text)).detail ?? '';

describe('a valid configuration', () => {
  it('parses the minimal file and applies the defaults', () => {
    const config = parse(MINIMAL_YAML);
    expect(config.listen).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(config.log).toEqual({ level: 'info', flushMs: 100 });
    expect(config.shutdown).toEqual({ graceMs: 10_000, timeoutMs: 60_000 });
    expect(config).not.toHaveProperty('redis');
    expect(config.clients).toEqual([{ id: 'shop', apiKey: CLIENT_API_KEY, accounts: ['ups-main'] }]);
    expect(config.accounts).toEqual([
      {
        id: 'ups-main',
        carrier: 'ups',
        environment: 'sandbox',
        credentials: { clientId: 'ups-client-id', clientSecret: UPS_SECRET },
      },
    ]);
  });

  it('fills redis.keyPrefix and oauth2 profile defaults', () => {
    const config = parse(`${MINIMAL_YAML}
  - id: generic
    carrier: oauth2
    urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test' }
    credentials: { clientId: generic-client, clientSecret: generic-secret-0000 }
    oauth2: {}
redis:
  url: redis://127.0.0.1:6379/0
`);
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379/0', keyPrefix: 'cg:' });
    expect(config.accounts[1]?.oauth2).toEqual({
      clientAuthentication: 'client_secret_basic',
      bodyEncoding: 'form',
      extraParams: {},
      extraHeaders: {},
      rotatesRefreshTokens: true,
    });
  });

  it('accepts rediss:// too', () => {
    expect(parse(`${MINIMAL_YAML}redis: { url: 'rediss://cache.internal:6380' }\n`).redis?.url).toBe(
      'rediss://cache.internal:6380',
    );
  });

  it('loads the demo configuration shipped with the project', () => {
    const config = loadConfigFile(DEMO_CONFIG_FILE, {});
    // One demo account per carrier, each served by its simulator (test/demo.test.ts probes them).
    expect(new Set(config.accounts.map((account) => account.carrier))).toEqual(new Set(CARRIER_IDS));
    expect(config.listen).toEqual({ port: 8080, host: '127.0.0.1' });
  });
});

describe('errors name the key path and what was expected', () => {
  it('shutdown: the timeout must leave room after the grace; unknown keys are refused', () => {
    expect(parse(`${MINIMAL_YAML}shutdown: { graceMs: 0 }\n`).shutdown).toEqual({
      graceMs: 0,
      timeoutMs: 60_000,
    });
    expect(detailOf(`${MINIMAL_YAML}shutdown: { graceMs: 20000, timeoutMs: 20000 }\n`)).toContain(
      'shutdown.timeoutMs: must be greater than graceMs',
    );
    expect(detailOf(`${MINIMAL_YAML}shutdown: { graceMs: -1 }\n`)).toContain('shutdown.graceMs');
    expect(detailOf(`${MINIMAL_YAML}shutdown: { grace: 5 }\n`)).toContain('shutdown: unknown key "grace"');
  });

  it('wrong type: listen.port "x"', () => {
    const detail = detailOf(`${MINIMAL_YAML}listen: { port: "x" }\n`);
    expect(detail).toMatch(/^gateway\.yaml: listen\.port: .*expected number, received string/);
  });

  it('out of range: listen.port 70000', () => {
    const detail = detailOf(`${MINIMAL_YAML}listen: { port: 70000 }\n`);
    expect(detail).toContain('listen.port');
    expect(detail).toContain('65535');
  });

  it('unknown key at the top level', () => {
    expect(detailOf(`${MINIMAL_YAML}lisen: { port: 8080 }\n`)).toBe(
      'gateway.yaml: (top level): unknown key "lisen"',
    );
  });

  it('unknown key nested: accounts[0].credentials.clientSecrte', () => {
    const detail = detailOf(MINIMAL_YAML.replace('clientSecret:', 'clientSecrte:'));
    expect(detail).toContain('accounts[0].credentials: unknown key "clientSecrte"');
    // The misspelt key's value is a secret and must not be echoed.
    expect(detail).not.toContain(UPS_SECRET);
  });

  it('several unknown keys are listed together', () => {
    const detail = detailOf(
      `${MINIMAL_YAML}  - id: other\n    carrier: ups\n    credentials: { clientId: a }\n    tokn: {}\n    ur1s: {}\n`,
    );
    expect(detail).toContain('accounts[1]: unknown keys "tokn", "ur1s"');
  });

  it('bad enum: accounts[0].carrier dhl', () => {
    const detail = detailOf(MINIMAL_YAML.replace('carrier: ups', 'carrier: dhl'));
    expect(detail).toContain('accounts[0].carrier');
    for (const carrier of ['ups', 'fedex', 'oauth2']) expect(detail).toContain(`"${carrier}"`);
  });

  it('bad enum: accounts[0].environment staging', () => {
    const detail = detailOf(MINIMAL_YAML.replace('carrier: ups', 'carrier: ups\n    environment: staging'));
    expect(detail).toContain('accounts[0].environment');
    expect(detail).toContain('"production"');
  });

  it('a client referencing an unknown account names clients[0].accounts[0]', () => {
    expect(detailOf(MINIMAL_YAML.replace('accounts: [ups-main]', 'accounts: [ups-mian]'))).toBe(
      'gateway.yaml: clients[0].accounts[0]: unknown account "ups-mian"',
    );
  });

  it('duplicate account ids name the second one', () => {
    const detail = detailOf(
      `${MINIMAL_YAML}  - id: ups-main\n    carrier: fedex\n    credentials: { clientId: f }\n`,
    );
    expect(detail).toBe('gateway.yaml: accounts[1].id: duplicate account id "ups-main"');
  });

  it('duplicate client ids name the second one', () => {
    const text = MINIMAL_YAML.replace(
      'accounts:\n  - id: ups-main',
      `  - id: shop\n    apiKey: 'another-api-key-000000'\n    accounts: [ups-main]\naccounts:\n  - id: ups-main`,
    );
    expect(detailOf(text)).toBe('gateway.yaml: clients[1].id: duplicate client id "shop"');
  });

  it('bad redis URL scheme', () => {
    const detail = detailOf(`${MINIMAL_YAML}redis: { url: 'http://127.0.0.1:6379' }\n`);
    expect(detail).toBe('gateway.yaml: redis.url: a redis:// or rediss:// URL');
  });

  it('a token URL that is not http(s)', () => {
    const text = MINIMAL_YAML.replace(
      'carrier: ups',
      "carrier: ups\n    urls: { token: 'ftp://ups.example/token' }",
    );
    expect(detailOf(text)).toBe('gateway.yaml: accounts[0].urls.token: an http(s) URL');
  });

  it('an id with capitals says what an id may contain', () => {
    const detail = detailOf(MINIMAL_YAML.replace('id: shop', 'id: Shop'));
    expect(detail).toContain('clients[0].id: lower-case letters');
  });

  it('a short API key says how long it must be, without echoing it', () => {
    const detail = detailOf(MINIMAL_YAML.replace(CLIENT_API_KEY, 'short-key-42'));
    expect(detail).toBe('gateway.yaml: clients[0].apiKey: at least 16 characters');
  });

  it('a missing required section', () => {
    const detail = detailOf('accounts: []\n');
    expect(detail).toContain('clients:');
    expect(detail).toContain('accounts:');
  });

  it('all problems are reported at once', () => {
    const detail = detailOf(`${MINIMAL_YAML.replace('carrier: ups', 'carrier: dhl')}listen: { port: "x" }\n`);
    expect(detail).toContain('listen.port');
    expect(detail).toContain('accounts[0].carrier');
  });

  it('invalid YAML names the file and the line, not the content', () => {
    const text = `clients:\n  - id: shop\n    apiKey: '${CLIENT_API_KEY}\naccounts: [\n`;
    const error = configFailure(() => parse(text));
    expect(error.detail).toMatch(/^gateway\.yaml: not valid YAML at line \d+$/);
    expect(error.message).not.toContain(CLIENT_API_KEY);
  });

  it('duplicate YAML keys are invalid YAML', () => {
    expect(detailOf(`${MINIMAL_YAML}listen: { port: 1 }\nlisten: { port: 2 }\n`)).toMatch(/not valid YAML/);
  });

  it.each([
    ['an empty file', ''],
    ['a list', '- a\n- b\n'],
    ['a scalar', 'just text\n'],
  ])('%s is not a mapping', (_name, text) => {
    expect(detailOf(text)).toBe('gateway.yaml: expected a mapping at the top level');
  });
});

describe('loadConfigFile', () => {
  const dir = tempDir('parse');

  it('reads a file and names it in errors', () => {
    const file = writeTemp(dir(), 'bad.yaml', `${MINIMAL_YAML}listen: { port: "x" }\n`);
    expect(configFailure(() => loadConfigFile(file, {})).detail).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: listen\\.port`),
    );
    expect(loadConfigFile(writeTemp(dir(), 'good.yaml', MINIMAL_YAML), {}).accounts).toHaveLength(1);
  });

  it('an unreadable file names the path and the reason', () => {
    const missing = `${dir()}/does-not-exist.yaml`;
    expect(configFailure(() => loadConfigFile(missing, {})).detail).toBe(
      `${missing}: cannot be read (ENOENT)`,
    );
  });
});
