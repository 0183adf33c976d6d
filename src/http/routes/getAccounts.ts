/**
 * @module http/routes/getAccounts
 * `GET /v1/accounts`: the token status of the calling client's carrier accounts, in its
 * preference order: state, generation, time to expiry, last refresh, token requests this hour
 * (some carriers count them against a small quota), clock skew, the auth breaker and any
 * operator override. Never a token value.
 */
import type { Context } from 'hono';

import type { AppDependencies, AppEnv } from '../env.js';

export function getAccounts(deps: Pick<AppDependencies, 'engine' | 'breakers' | 'overrides'>) {
  return async function accounts(c: Context<AppEnv>) {
    const client = c.get('client');
    const statuses = await Promise.all(
      client.accounts.map(async (id) => ({
        ...(await deps.engine.status(id)),
        // The fleet's breaker state and any operator override, as this instance knows them.
        ...(deps.breakers
          ? { breaker: { ...deps.breakers.state(id), generation: deps.breakers.generation(id) } }
          : {}),
        ...(deps.overrides ? { override: deps.overrides.current(id) } : {}),
      })),
    );
    return c.json({ accounts: statuses });
  };
}
