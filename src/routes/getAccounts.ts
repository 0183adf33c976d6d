/**
 * @module routes/getAccounts
 * `GET /v1/accounts`: the token status of the calling client's carrier accounts, in its
 * preference order: state, generation, time to expiry, last refresh, token requests this hour
 * (some carriers count them against a small quota), clock skew. Never a token value.
 */
import type { Context } from 'hono';

import type { AppDependencies, AppEnv } from '../app.js';

export function getAccounts(deps: Pick<AppDependencies, 'engine'>) {
  return async function accounts(c: Context<AppEnv>) {
    const client = c.get('client');
    const statuses = await Promise.all(client.accounts.map((id) => deps.engine.status(id)));
    return c.json({ accounts: statuses });
  };
}
