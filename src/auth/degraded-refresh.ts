/**
 * @module auth/degraded-refresh
 * Refreshing while Redis is configured but away. Tokens keep being served from memory, and an
 * account without rotating refresh tokens is refreshed under this process's single flight, its
 * token kept here only and labelled with the generation it replaces, so the shared store's token
 * wins once Redis is back. An account with rotating refresh tokens is not refreshed: two
 * instances could present the same single-use refresh token, so it keeps its valid access token
 * until it expires and reports `redis_unavailable`.
 */
import { GatewayError, isGatewayError } from '../core/errors.js';
import { exchangeWithRetries } from './exchange-retries.js';
import type { EngineGrantInput, ManagerParts } from './manager-parts.js';
import { refreshShared } from './shared-refresh.js';
import { withGeneration, type StoredToken } from './token-store.js';

/** One refresh: the fleet's shared one, or the degraded one while the shared store cannot be used. */
export async function refreshOnce(
  parts: ManagerParts,
  triggerGeneration: number,
  reason: string,
): Promise<StoredToken> {
  const { options } = parts;
  if (!options.sharedStoreAvailable() && options.store.shared)
    return refreshWithoutSharedStore(parts, reason);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await refreshShared(parts, triggerGeneration, reason);
    } catch (error) {
      if (!(isGatewayError(error) && error.code === 'ERR_REDIS_UNAVAILABLE' && options.store.shared))
        throw error;
      // A command that timed out on a live connection is most likely a busy moment: going it
      // alone would be the very stampede the lock prevents, so the shared path gets one more try.
      if (attempt === 1 && options.sharedStoreAvailable()) continue;
      options.log.warn(
        { account: parts.account.id, reason },
        'redis failed during a refresh: refreshing without it',
      );
      return refreshWithoutSharedStore(parts, reason);
    }
  }
}

async function refreshWithoutSharedStore(parts: ManagerParts, reason: string): Promise<StoredToken> {
  const { account, held, book } = parts;
  const current = held.current;
  if (account.token.usesRefreshToken && account.token.rotatesRefreshTokens) {
    held.state = 'redis_unavailable';
    throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
      account: account.id,
      detail: 'rotating refresh tokens are refreshed only under the shared lock; waiting for redis',
    });
  }
  const started = parts.now();
  const grant: EngineGrantInput =
    account.token.usesRefreshToken && current?.refreshToken
      ? { kind: 'refresh', refreshToken: current.refreshToken }
      : { kind: 'initial' };
  try {
    const accepted = await exchangeWithRetries(parts, grant);
    book.recordSuccess(accepted, started, `${reason} (redis unavailable, local refresh)`);
    // Same generation as before: when Redis is back, the shared store's token wins.
    const token = withGeneration(accepted.token, current?.generation ?? 0);
    if (token.refreshToken === undefined && grant.kind === 'refresh') token.refreshToken = grant.refreshToken;
    return held.adopt(token, true);
  } catch (error) {
    book.recordLocalFailure(error, started);
    throw error;
  }
}
