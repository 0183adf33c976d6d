/**
 * @module auth/grant-choice
 * Which grant a refresh sends, and whether its refresh token may be presented at all. A
 * rotating refresh token is single-use: presenting one twice can revoke the whole token family
 * (RFC 9700 4.14.2; [UPS-I90]), so it is claimed in the store first, and a token someone else already
 * presented is not presented again while the access token still lives.
 */
import { GatewayError } from '../core/errors.js';
import type { EngineGrantInput, ManagerParts } from './manager-parts.js';
import type { StoredToken } from './token-store.js';

/** Runs under the fleet lock, with the store as read there. */
export async function chooseGrant(
  parts: Pick<ManagerParts, 'account' | 'options' | 'now' | 'held' | 'book'>,
  stored: StoredToken | null,
): Promise<EngineGrantInput> {
  const { account, options, held } = parts;
  const id = account.id;
  if (!account.token.usesRefreshToken) return { kind: 'initial' };
  // The configured refresh token only seeds an account neither the store nor this process has
  // seen: after Redis lost its data, the refresh token held in memory is the live one, and the
  // seed was spent long ago. Likewise when the store holds an older generation than this
  // process (a failover lost the last write): the older record's refresh token was spent.
  const current = held.current;
  const newerHere =
    current !== null && !held.local && stored !== null && current.generation > stored.generation;
  const refreshToken =
    (newerHere ? current.refreshToken : undefined) ??
    stored?.refreshToken ??
    current?.refreshToken ??
    (stored === null ? account.credentials.refreshToken : undefined);
  if (refreshToken === undefined) {
    await parts.book.requireReauthorization('no refresh token stored for this account');
    throw new GatewayError('ERR_REAUTHORIZATION_REQUIRED', undefined, {
      account: id,
      detail: 'no refresh token',
    });
  }
  if (!account.token.rotatesRefreshTokens) return { kind: 'refresh', refreshToken };
  if (await options.store.claimRefreshToken(id, refreshToken, 'refresh'))
    return { kind: 'refresh', refreshToken };
  // Someone presented this refresh token and no newer token was stored: its outcome is unknown.
  // Once the access token is dead there is nothing left to protect, so one last attempt is allowed.
  const live = stored ?? held.current;
  const accessDead = live === null || live.expiresAt <= parts.now();
  if (accessDead && (await options.store.claimRefreshToken(id, refreshToken, 'last-resort'))) {
    options.log.warn(
      { account: id },
      'refresh outcome unknown and access token expired: one last-resort refresh',
    );
    return { kind: 'refresh', refreshToken };
  }
  held.state = 'refresh_outcome_unknown';
  throw new GatewayError('ERR_REFRESH_OUTCOME_UNKNOWN', undefined, {
    account: id,
    detail: 'the current refresh token was already presented; re-presenting it could revoke the token family',
  });
}
