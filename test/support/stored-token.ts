/**
 * @module test/support/stored-token
 * Tokens a test reads from a gateway's token engine: each one it sees is registered with the
 * log scan (so the scan can prove none was logged), and a run of forced refreshes, each one
 * invalidating the token before it, as a carrier's 401 would.
 */
import { expect } from 'vitest';

import type { StoredToken } from '../../src/auth/token-store.js';
import { registerSecrets } from './log-capture.js';

/** Registers the token's access and refresh token with the log scan; fails on no token. */
export function observeToken(token: StoredToken | undefined): StoredToken {
  expect(token).toBeDefined();
  registerSecrets(token!.accessToken, ...(token!.refreshToken ? [token!.refreshToken] : []));
  return token!;
}

/** The manager's token, then `forced` refreshes each forced by invalidating the one before: every token held, in order. */
export async function forcedRefreshes(
  manager: { getToken(): Promise<StoredToken>; invalidate(accessToken: string): Promise<StoredToken> },
  forced: number,
): Promise<StoredToken[]> {
  const seen = [observeToken(await manager.getToken())];
  for (let i = 0; i < forced; i += 1)
    seen.push(observeToken(await manager.invalidate(seen.at(-1)!.accessToken)));
  return seen;
}
