/**
 * @module http/routes/getAuthorize
 * `GET /v1/accounts/{id}/authorize` (admin key): starts authorization-code onboarding for an
 * account and answers (302) with a one-time start link (getOAuthStart.ts) for the operator's
 * browser: opened once, it binds the authorization's `state` to that browser with a cookie and
 * redirects to the carrier's authorization endpoint with `state` and, where the carrier supports
 * it, an S256 PKCE challenge (RFC 6749 4.1.1, RFC 7636 4.3). The admin key is sent by a script
 * (curl), which a browser cannot do, hence the link. A shipping app's key is refused like any
 * wrong key.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import type { RouteDoc } from '../openapi-route.js';
import type { AdminRegistry } from '../admins.js';
import type { AdminActions } from '../../admin/admin-actions.js';
import type { AuthorizationFlow } from '../../auth/authorization-flow.js';

export const getAuthorizeDoc: RouteDoc = {
  method: 'get',
  path: '/v1/accounts/:id/authorize',
  operationId: 'startAuthorization',
  tag: 'Onboarding',
  summary: "Start authorization-code onboarding: a one-time start link for the operator's browser",
  auth: 'admin',
  params: { id: 'An account with `grant: authorization_code`' },
  answers: {
    302: {
      description:
        "To the one-time start link (`/v1/oauth/start?ticket=...`): the browser that opens it is bound to the authorization and sent to the carrier's consent page",
      headers: { Location: "The start link, on the redirect URI's host; good once, for 10 minutes" },
    },
  },
  problems: [
    'ERR_ADMIN_UNAUTHENTICATED',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_AUTHORIZATION_NOT_CONFIGURED',
    'ERR_REDIS_UNAVAILABLE',
  ],
};

export function getAuthorize(deps: {
  admins: AdminRegistry;
  authorization: AuthorizationFlow;
  actions?: AdminActions;
}) {
  return async function authorize(c: Context<AppEnv>) {
    const admin = deps.admins.authenticate(c.req.header('authorization'));
    const id = c.req.param('id') ?? '';
    const begin = () => deps.authorization.begin(id, admin);
    const location = await (deps.actions ? deps.actions.authorize(admin, id, begin) : begin());
    // The link is a one-time credential: never cached, never sent on as a Referer.
    return c.body(null, 302, {
      location,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
  };
}
