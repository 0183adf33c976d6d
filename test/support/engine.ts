/**
 * @module test/support/engine
 * Builds in-process token engines on a real Redis for tests that need to reach inside one
 * instance (fencing, Redis loss): resolved accounts from YAML or account blocks, a
 * RedisConnection, a sealer.
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../config/load.js';
import { resolveAccount, resolveOAuthAccount } from '../../src/accounts/resolve.js';
import { type ConfiguredAccount, type ResolvedAccount } from '../../src/core/account.js';
import { TokenSealer } from '../../src/auth/crypto.js';
import { TokenEngine, type TokenEngineOptions } from '../../src/auth/token-engine.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { testLogger } from './log-capture.js';

export const TEST_SEALER = TokenSealer.ephemeral();

/** Accounts from the `accounts:` YAML list (a dummy client is added). */
export function accountsFrom(accountsYaml: string): ResolvedAccount[] {
  const config = parseConfig(
    `clients: [{ id: t, apiKey: "test-client-key-0123456789", accounts: [placeholder] }]\naccounts:\n${accountsYaml}`.replace(
      '[placeholder]',
      `[${/id: ([a-z0-9-]+)/.exec(accountsYaml)![1]}]`,
    ),
    'test',
  );
  return config.accounts.map((account, index) => resolveOAuthAccount(account, index));
}

/** Accounts resolved from account blocks, as a configuration holds them (a dummy client is added). */
export function configuredAccounts(list: Record<string, unknown>[]): ConfiguredAccount[] {
  const yaml = stringify({
    clients: [
      { id: 't', apiKey: 'test-client-key-0123456789', accounts: list.map((account) => account['id']) },
    ],
    accounts: list,
  });
  return parseConfig(yaml, 'test').accounts.map((account, index) => resolveAccount(account, index));
}

export interface TestInstance {
  engine: TokenEngine;
  redis: RedisConnection;
  close(): Promise<void>;
}

export async function startInstance(
  redisUrl: string,
  accounts: ResolvedAccount[],
  options: Partial<TokenEngineOptions> = {},
): Promise<TestInstance> {
  const log = testLogger('engine');
  const redis = new RedisConnection({ url: redisUrl, keyPrefix: 'cg:' }, log);
  await redis.connect();
  const engine = new TokenEngine({ accounts, log, redis, sealer: TEST_SEALER, ...options });
  return {
    engine,
    redis,
    close: async () => {
      engine.stop();
      await redis.close();
    },
  };
}
