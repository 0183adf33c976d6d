/**
 * @module http/routes/getOAuthStart
 * `GET /v1/oauth/start?ticket=...`: the one-time start link `/v1/accounts/{id}/authorize` hands
 * the operator (issue 12, point 9). The browser that opens it first gets an HttpOnly, SameSite=Lax
 * cookie (Secure with an https redirect URI) holding a random nonce bound to the authorization's
 * `state`, and a redirect to the carrier's consent page; the callback is then accepted only with
 * that cookie (RFC 9700 4.7.1: the state bound to the user agent). A second opening finds no ticket.
 */
import type { Context } from 'hono';

import type { AppEnv } from '../env.js';
import { OAUTH_START_PATH } from '../../core/account.js';
import type { RouteDoc } from '../openapi-route.js';
import type { AuthorizationFlow } from '../../auth/authorization-flow.js';
import { failureAnswer, PAGE_HEADERS } from './getOAuthCallback.js';

export const getOAuthStartDoc: RouteDoc = {
  method: 'get',
  path: OAUTH_START_PATH,
  operationId: 'openAuthorization',
  tag: 'Onboarding',
  summary: "The operator's browser opens the start link once: a binding cookie and a redirect to the carrier",
  description:
    'The link comes from `GET /v1/accounts/{id}/authorize`; the ticket is single-use. A browser (`Accept: text/html`) gets a page on failure.',
  auth: 'none',
  answers: {
    302: {
      description: "To the carrier's authorization endpoint, with `state` and (where supported) PKCE",
      headers: {
        Location: "The carrier's authorization URL",
        'Set-Cookie': 'The browser binding of the state (HttpOnly, SameSite=Lax, Secure over https)',
      },
    },
  },
  problems: ['ERR_OAUTH_STATE_INVALID', 'ERR_OAUTH_STATE_EXPIRED', 'ERR_REDIS_UNAVAILABLE'],
};

export function getOAuthStart(deps: { authorization: AuthorizationFlow }) {
  return async function oauthStart(c: Context<AppEnv>) {
    let opened;
    try {
      opened = await deps.authorization.open(c.req.query('ticket'));
    } catch (error) {
      return failureAnswer(c, error);
    }
    const { cookie } = opened;
    const attributes = [
      `${cookie.name}=${cookie.value}`,
      `Path=${cookie.path}`,
      `Max-Age=${cookie.maxAgeSeconds}`,
      'HttpOnly',
      'SameSite=Lax',
      ...(cookie.secure ? ['Secure'] : []),
    ];
    // The URL carries the state: never cached, never sent on as a Referer.
    return c.body(null, 302, {
      ...PAGE_HEADERS,
      location: opened.location,
      'set-cookie': attributes.join('; '),
    });
  };
}
