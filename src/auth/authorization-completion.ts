/**
 * @module auth/authorization-completion
 * The last step of onboarding (src/auth/authorization-flow.ts): exchanging the authorization
 * code (RFC 6749 4.1.3) and storing what it yields as the account's new token family. It runs
 * under the account's fleet lock with a fencing generation taken before the exchange, like a
 * refresh, so no refresh in flight anywhere can overwrite it; then it clears re-authorization
 * required, refresh outcome unknown and the cooldown, and announces the token to the fleet.
 * Unlike a refresh it never adopts a stored token and never retries: codes are single-use
 * (RFC 6749 4.1.2, 10.5). A failed exchange changes nothing stored.
 */
import { GatewayError } from '../core/errors.js';
import { configuredSecrets } from './exchange-retries.js';
import type { ManagerParts } from './manager-parts.js';
import { exchangeToken, type CodeGrantInput } from './token-client.js';
import { withGeneration, type StoredToken } from './token-store.js';

export async function completeAuthorization(
  parts: ManagerParts,
  grant: CodeGrantInput,
): Promise<StoredToken> {
  const { account, options, held, book, now } = parts;
  const { store, log } = options;
  const id = account.id;
  if (store.shared && !options.sharedStoreAvailable()) {
    throw new GatewayError('ERR_REDIS_UNAVAILABLE', undefined, {
      account: id,
      detail: 'authorization needs the shared store to keep its tokens',
    });
  }
  return parts.fleetLock.use({
    knownGeneration: () => held.current?.generation ?? 0,
    timeoutNote: '; the code was not sent',
    whileHeld: async ({ generation }) => {
      const started = now();
      await store.countTokenRequest(id, started).catch(() => {});
      // The code is single-use: it goes with the secret known to work, never with an untried one.
      const accepted = await exchangeToken(account, grant, {
        now,
        ...options.transport,
        clientSecret: parts.rotation.inUse(configuredSecrets(account)),
      });
      const token = withGeneration(accepted.token, generation);
      if (token.refreshToken === undefined) {
        // RFC 6749 4.1.4: the refresh token is OPTIONAL; without one the account needs another
        // authorization when this access token expires.
        log.warn({ account: id }, 'authorization yielded no refresh token');
      }
      const written = await store.write(id, token);
      if (written !== 'written') {
        // Only a generation taken after ours (a lock lost mid-exchange) can be newer; ours is not kept.
        throw new GatewayError('ERR_INTERNAL', undefined, {
          account: id,
          detail: `authorized token refused by the fenced write (${written})`,
        });
      }
      book.recordSuccess(accepted, started, 'authorization', generation);
      await book.clear();
      await store.announce(id, generation).catch(() => {});
      log.info({ account: id, generation }, 'account authorized: tokens stored');
      return held.adopt(token, false);
    },
  });
}
