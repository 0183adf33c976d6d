/**
 * @module admin/token-operations
 * The token engine seen from the admin actions: force a shared refresh, purge an account's tokens
 * everywhere, and tell token accounts from static-key ones.
 */
import type { TokenEngine } from '../auth/token-engine.js';
import { GatewayError } from '../core/errors.js';
import type { TokenOperations } from './admin-actions.js';

export function tokenOperations(engine: TokenEngine): TokenOperations {
  const manager = (account: string) => {
    const found = engine.tokenManager(account);
    if (found === undefined) throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account });
    return found;
  };
  return {
    issuesTokens: (account) => engine.issuesTokens(account),
    async refreshNow(account) {
      const next = await manager(account).refreshNow();
      return { generation: next.generation, expiresAt: next.expiresAt };
    },
    async purge(account) {
      manager(account);
      await engine.purge(account);
    },
  };
}
