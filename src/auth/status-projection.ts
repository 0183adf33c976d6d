/**
 * @module auth/status-projection
 * What an account's token manager reports (`TokenStatus`, src/auth/token-status.ts): the state,
 * with the fleet's word taking precedence over this process's (re-authorization required, a
 * refresh outcome unknown, Redis away), the token's lifetime and generation but never its value,
 * the last refresh, the token requests counted this hour and the last, and the secret rotation.
 */
import { configuredSecrets } from './exchange-retries.js';
import type { ManagerParts } from './manager-parts.js';
import type { StatusReads, TokenStatus } from './token-status.js';
import type { TokenRequestCounts } from './token-store.js';

/** The admin route that starts onboarding (src/http/routes/getAuthorize.ts). */
export const authorizePath = (accountId: string) => `/v1/accounts/${encodeURIComponent(accountId)}/authorize`;

export async function projectStatus(parts: ManagerParts, read: StatusReads = {}): Promise<TokenStatus> {
  const { account, options, held, book } = parts;
  const { store } = options;
  const now = parts.now();
  const current = held.current;
  let counts: TokenRequestCounts | null = null;
  try {
    if (read.requestCounts !== false) counts = await store.tokenRequestCounts(account.id, now);
    book.shared = read.shared ?? (await store.readState(account.id));
  } catch {
    // Redis away: counts unknown; the state says why.
  }
  let state = held.state;
  let neverAuthorized = false;
  if (
    state === 'no_token' &&
    account.token.usesRefreshToken &&
    account.credentials.refreshToken === undefined
  ) {
    // Nothing to refresh from until an operator completes the authorization-code flow.
    neverAuthorized = await store.read(account.id).then(
      (stored) => stored === null,
      () => false,
    );
  }
  if (book.shared.reauthorizationRequired || neverAuthorized) state = 'reauthorization_required';
  else if (book.shared.refreshOutcomeUnknown && state !== 'ok') state = 'refresh_outcome_unknown';
  else if (store.shared && !options.sharedStoreAvailable()) state = 'redis_unavailable';
  const cooldown = book.shared.cooldown;
  const rotation = parts.rotation.status(configuredSecrets(account));
  return {
    account: account.id,
    carrier: account.carrier,
    state,
    store: !store.shared ? 'embedded' : held.local ? 'local-fallback' : 'shared',
    token:
      current === null
        ? null
        : {
            generation: current.generation,
            expiresInSeconds: Math.round((current.expiresAt - now) / 1000),
            obtainedAt: new Date(current.obtainedAt).toISOString(),
            sharedStore: !held.local && store.shared,
          },
    lastRefresh: book.lastRefresh,
    tokenRequests: counts,
    clockSkewMs: book.skewMs,
    prematureRejections: book.prematureRejections,
    cooldownUntil: cooldown && cooldown.until > now ? new Date(cooldown.until).toISOString() : null,
    reauthorizationReason:
      book.shared.reauthorizationRequired?.reason ?? (neverAuthorized ? 'not authorized yet' : null),
    ...(state === 'reauthorization_required' && account.authorization !== undefined
      ? { authorizeUrl: authorizePath(account.id) }
      : {}),
    ...(rotation !== undefined ? { secretRotation: rotation } : {}),
  };
}
