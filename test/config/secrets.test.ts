/**
 * @module test/config/secrets
 * Secret references in the configuration (config/load.ts): `${VAR}` as a whole value or inside a
 * string, `file:/abs/path` read and trimmed, and errors that name the variable, file and key path
 * without ever containing a secret value.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../config/load.js';
import { registerSecrets } from '../support/log-capture.js';
import { CLIENT_API_KEY, configFailure, tempDir, writeTemp } from './fixtures.js';

const ENV = {
  UPS_CLIENT_SECRET: 'ups-env-secret-5c3a9f',
  REDIS_PASSWORD: 'redis-env-password-77e0',
  SHOP_API_KEY: 'shop-env-api-key-0a1b2c3d4e',
  FEDEX_CLIENT_SECRET: 'fedex-env-secret-e4e4e4',
};
registerSecrets(...Object.values(ENV));

const withSecrets = (upsSecret: string, extra = '') => `
clients:
  - id: shop
    apiKey: '\${SHOP_API_KEY}'
    accounts: [ups-main, fedex-main]
accounts:
  - id: ups-main
    carrier: ups
    credentials:
      clientId: ups-client-id
      clientSecret: '${upsSecret}'
  - id: fedex-main
    carrier: fedex
    credentials:
      clientId: fedex-api-key
      clientSecret: '\${FEDEX_CLIENT_SECRET}'
redis:
  url: 'redis://:\${REDIS_PASSWORD}@127.0.0.1:6379/0'
${extra}`;

/** Every secret value in ENV except the ones named. */
const otherSecrets = (...except: (keyof typeof ENV)[]) =>
  Object.entries(ENV)
    .filter(([name]) => !except.includes(name as keyof typeof ENV))
    .map(([, value]) => value);

function expectNoSecrets(text: string, secrets: string[]) {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('${VAR} references', () => {
  it('resolves a whole value and one embedded in a string', () => {
    const config = parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'gateway.yaml', ENV);
    expect(config.accounts[0]?.credentials.clientSecret).toBe(ENV.UPS_CLIENT_SECRET);
    expect(config.accounts[1]?.credentials.clientSecret).toBe(ENV.FEDEX_CLIENT_SECRET);
    expect(config.clients[0]?.apiKey).toBe(ENV.SHOP_API_KEY);
    expect(config.redis?.url).toBe(`redis://:${ENV.REDIS_PASSWORD}@127.0.0.1:6379/0`);
  });

  it('resolves several references in one string and leaves the rest of it alone', () => {
    const config = parseConfig(
      withSecrets('pre-${UPS_CLIENT_SECRET}-mid-${REDIS_PASSWORD}-post'),
      'g.yaml',
      ENV,
    );
    expect(config.accounts[0]?.credentials.clientSecret).toBe(
      `pre-${ENV.UPS_CLIENT_SECRET}-mid-${ENV.REDIS_PASSWORD}-post`,
    );
  });

  it('inserts values literally, even ones that look like replacement patterns', () => {
    const env = { ...ENV, UPS_CLIENT_SECRET: "a$&b$1c$`d$'e" };
    const config = parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'g.yaml', env);
    expect(config.accounts[0]?.credentials.clientSecret).toBe("a$&b$1c$`d$'e");
  });

  it('does not resolve references found inside a resolved value', () => {
    const env = { ...ENV, UPS_CLIENT_SECRET: '${REDIS_PASSWORD}' };
    const config = parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'g.yaml', env);
    expect(config.accounts[0]?.credentials.clientSecret).toBe('${REDIS_PASSWORD}');
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
  ])('an %s variable names the variable and the key path, and no other secret', (_name, value) => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    if (value === undefined) delete env.UPS_CLIENT_SECRET;
    else env.UPS_CLIENT_SECRET = value;
    const error = configFailure(() => parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'gateway.yaml', env));
    expect(error.detail).toBe(
      'gateway.yaml: accounts[0].credentials.clientSecret: environment variable UPS_CLIENT_SECRET is not set',
    );
    expectNoSecrets(`${error.message}\n${JSON.stringify(error)}\n${error.stack}`, otherSecrets());
  });

  it('a missing variable inside a string names the variable and the path', () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    delete env.REDIS_PASSWORD;
    const error = configFailure(() => parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'gateway.yaml', env));
    expect(error.detail).toBe('gateway.yaml: redis.url: environment variable REDIS_PASSWORD is not set');
    expectNoSecrets(error.message, otherSecrets('REDIS_PASSWORD'));
  });

  it('a missing variable in a list item names the index', () => {
    const env: NodeJS.ProcessEnv = { ...ENV };
    const text = withSecrets('${UPS_CLIENT_SECRET}').replace(
      '[ups-main, fedex-main]',
      '[ups-main, "${SECOND}"]',
    );
    expect(configFailure(() => parseConfig(text, 'g.yaml', env)).detail).toBe(
      'g.yaml: clients[0].accounts[1]: environment variable SECOND is not set',
    );
  });

  it('a resolved value that then fails validation is not echoed', () => {
    const env = { ...ENV, SHOP_API_KEY: 'short-key-99' };
    registerSecrets(env.SHOP_API_KEY);
    const error = configFailure(() => parseConfig(withSecrets('${UPS_CLIENT_SECRET}'), 'g.yaml', env));
    expect(error.detail).toBe('g.yaml: clients[0].apiKey: at least 16 characters');
    expectNoSecrets(error.message, [env.SHOP_API_KEY, ...otherSecrets('SHOP_API_KEY')]);
  });

  it('a redis URL with a resolved password and a wrong scheme does not echo the password', () => {
    const text = withSecrets('${UPS_CLIENT_SECRET}').replace("'redis://:", "'http://:");
    const error = configFailure(() => parseConfig(text, 'g.yaml', ENV));
    expect(error.detail).toBe('g.yaml: redis.url: a redis:// or rediss:// URL');
    expectNoSecrets(error.message, Object.values(ENV));
  });
});

describe('file: references', () => {
  const dir = tempDir('secrets');

  it('reads an absolute path and trims surrounding whitespace', () => {
    const secret = 'ups-file-secret-9f9f9f';
    registerSecrets(secret);
    const file = writeTemp(dir(), 'ups-secret', `  ${secret}\n\n`);
    const config = parseConfig(withSecrets(`file:${file}`), 'g.yaml', ENV);
    expect(config.accounts[0]?.credentials.clientSecret).toBe(secret);
  });

  it('keeps the file content as is: no ${VAR} resolution inside it', () => {
    const file = writeTemp(dir(), 'literal', '${REDIS_PASSWORD}\n');
    expect(
      parseConfig(withSecrets(`file:${file}`), 'g.yaml', ENV).accounts[0]?.credentials.clientSecret,
    ).toBe('${REDIS_PASSWORD}');
  });

  it('a missing file names the path, the key path and the reason, and no secret', () => {
    const missing = join(dir(), 'no-such-secret');
    const error = configFailure(() => parseConfig(withSecrets(`file:${missing}`), 'g.yaml', ENV));
    expect(error.detail).toBe(
      `g.yaml: accounts[0].credentials.clientSecret: secret file ${missing} cannot be read (ENOENT)`,
    );
    expectNoSecrets(error.message, [...Object.values(ENV), CLIENT_API_KEY]);
  });

  it('a directory names the path and EISDIR', () => {
    const folder = join(dir(), 'a-folder');
    mkdirSync(folder, { recursive: true });
    const error = configFailure(() => parseConfig(withSecrets(`file:${folder}`), 'g.yaml', ENV));
    expect(error.detail).toContain(`secret file ${folder} cannot be read (EISDIR)`);
  });
});
