/**
 * @module auth/shared-refresh
 * A refresh the fleet shares. Under the account's fleet lock (src/auth/fleet-lock.ts), with the
 * fencing generation it hands out, the holder chooses the grant, calls the carrier and writes
 * the token with the fence; then it clears what failures had forbidden and announces the token,
 * so every other instance adopts it with no carrier call. A late holder whose write the fence
 * refuses adopts the newer token instead of its own.
 */
import { isGatewayError } from '../core/errors.js';
import { exchangeWithRetries } from './exchange-retries.js';
import { chooseGrant } from './grant-choice.js';
import type { ManagerParts } from './manager-parts.js';
import type { AcceptedToken } from './token-response.js';
import { withGeneration, type StoredToken, type WriteResult } from './token-store.js';

export async function refreshShared(
  parts: ManagerParts,
  triggerGeneration: number,
  reason: string,
): Promise<StoredToken> {
  const { held, book } = parts;
  return parts.fleetLock.use({
    adopt: {
      usable: (stored) => held.usable(stored, triggerGeneration),
      take: (stored) => held.adopt(stored, false),
    },
    precheck: () => book.checkShared(),
    knownGeneration: () => held.current?.generation ?? 0,
    whileHeld: ({ stored, generation }) => refreshHolding(parts, stored, generation, reason),
  });
}

async function refreshHolding(
  parts: ManagerParts,
  stored: StoredToken | null,
  generation: number,
  reason: string,
): Promise<StoredToken> {
  const { account, options, held, book } = parts;
  const { store, log } = options;
  const id = account.id;
  const started = parts.now();
  const grant = await chooseGrant(parts, stored);
  let accepted: AcceptedToken;
  try {
    accepted = await exchangeWithRetries(parts, grant);
  } catch (error) {
    await book.recordFailure(error, grant.kind, started, stored);
    throw error;
  }
  const token = withGeneration(accepted.token, generation);
  if (grant.kind === 'refresh' && token.refreshToken === undefined) {
    // RFC 6749 6: the server MAY keep the old refresh token valid and not send a new one.
    token.refreshToken = grant.refreshToken;
    if (stored?.refreshTokenExpiresAt !== undefined)
      token.refreshTokenExpiresAt = stored.refreshTokenExpiresAt;
  }
  book.recordSuccess(accepted, started, reason, generation);
  let written: WriteResult;
  try {
    written = await store.write(id, token);
  } catch (error) {
    // Redis went away after the carrier answered: keep the token here rather than lose it.
    log.warn({ account: id, generation }, 'token obtained but redis unavailable: kept in this process only');
    if (isGatewayError(error) && error.code === 'ERR_REDIS_UNAVAILABLE') return held.adopt(token, true);
    throw error;
  }
  if (written !== 'written') {
    log.warn({ account: id, generation, result: written }, 'fenced write refused a late token');
    const newer = await store.read(id);
    if (newer !== null && held.isFresh(newer, parts.now())) return held.adopt(newer, false);
    // Nothing newer to use: our token is still valid even if it may not be shared.
    return held.adopt(token, true);
  }
  await book.clear();
  await store.announce(id, generation).catch(() => {});
  return held.adopt(token, false);
}
