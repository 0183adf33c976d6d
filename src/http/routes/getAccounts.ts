/**
 * @module http/routes/getAccounts
 * `GET /v1/accounts`: the token status of the calling client's carrier accounts, in its
 * preference order: state, generation, time to expiry, last refresh, token requests this hour
 * (some carriers count them against a small quota), clock skew, the auth breaker and any
 * operator override. Never a token value.
 */
import type { Context } from 'hono';

import { z } from 'zod';

import type { AppDependencies, AppEnv } from '../env.js';
import type { RouteDoc } from '../openapi-route.js';
import { TOKEN_STATUS_EXAMPLE, tokenStatusSchema } from '../openapi-schemas.js';

export const getAccountsDoc: RouteDoc = {
  method: 'get',
  path: '/v1/accounts',
  operationId: 'listAccounts',
  tag: 'Accounts',
  summary: "The token status of the calling client's accounts, in its preference order",
  description:
    'State, generation, time to expiry, last refresh, token requests this hour, clock skew, the ' +
    'auth breaker and any operator override. Never a token.',
  auth: 'client',
  answers: {
    200: {
      description: 'One entry per account of the client',
      schema: z.object({ accounts: z.array(tokenStatusSchema) }),
      example: { accounts: [TOKEN_STATUS_EXAMPLE] },
    },
  },
  problems: ['ERR_UNAUTHENTICATED'],
};

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
