/**
 * @module http/routes/getOAuthCallback
 * `GET /v1/oauth/callback`: where carriers send the operator's browser back after consent (RFC
 * 6749 4.1.2). No key: the single-use `state` is the credential, good only with the cookie the
 * start link set in the same browser (getOAuthStart.ts; else 403 ERR_OAUTH_BROWSER_MISMATCH). A browser gets a short HTML page
 * saying what happened (never a token, a code or the state); anything else gets the JSON (success)
 * or the RFC 9457 problem (failure). Pages are not cached and send no Referer, since their URL
 * holds a code (RFC 9700 4.2.4).
 */
import type { Context } from 'hono';

import { getCookie } from 'hono/cookie';
import { z } from 'zod';

import type { AppEnv } from '../env.js';
import { OAUTH_CALLBACK_PATH } from '../../core/account.js';
import type { RouteDoc } from '../openapi-route.js';
import type { AdminActions } from '../../admin/admin-actions.js';
import { browserCookieName, type AuthorizationFlow } from '../../auth/authorization-flow.js';
import { ERROR_CATALOGUE, PROBLEM_CONTENT_TYPE, toProblem } from '../../core/errors.js';

export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;line-height:1.5}code{background:#eee;padding:0 .2em}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

const wantsHtml = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('text/html');

export const getOAuthCallbackDoc: RouteDoc = {
  method: 'get',
  path: OAUTH_CALLBACK_PATH,
  operationId: 'completeAuthorization',
  tag: 'Onboarding',
  summary:
    'Where the carrier sends the browser back after consent (the single-use `state` is the credential)',
  description: 'A browser (`Accept: text/html`) gets a page; anything else gets JSON or the problem.',
  auth: 'none',
  answers: {
    200: {
      description: 'Authorized: the tokens are stored for the whole fleet (never shown)',
      schema: z.looseObject({
        status: z.literal('authorized'),
        account: z.string(),
        generation: z.number().int(),
        expiresInSeconds: z.number().int(),
        refreshToken: z.boolean(),
      }),
      example: {
        status: 'authorized',
        account: 'ups-third-party',
        generation: 1,
        expiresInSeconds: 14_399,
        refreshToken: true,
      },
    },
  },
  problems: [
    'ERR_OAUTH_STATE_INVALID',
    'ERR_OAUTH_STATE_EXPIRED',
    'ERR_OAUTH_BROWSER_MISMATCH',
    'ERR_OAUTH_REDIRECT_URI_MISMATCH',
    'ERR_OAUTH_ACCESS_DENIED',
    'ERR_OAUTH_AUTHORIZATION_FAILED',
    'ERR_OAUTH_CALLBACK_INVALID',
    'ERR_OAUTH_CODE_REJECTED',
    'ERR_REDIS_UNAVAILABLE',
  ],
};

/** A failure as the browser (a page) or anything else (the problem) sees it. */
export function failureAnswer(c: Context<AppEnv>, error: unknown, headers: Record<string, string> = {}) {
  const problem = toProblem(error);
  if (!wantsHtml(c)) {
    return c.body(JSON.stringify(problem), problem.status as 400, {
      ...PAGE_HEADERS,
      ...headers,
      'content-type': PROBLEM_CONTENT_TYPE,
    });
  }
  const lines = [
    `Error ${problem.code}: ${ERROR_CATALOGUE[problem.code].title}.`,
    ...(problem.detail !== undefined ? [problem.detail] : []),
    ...(problem.carrierCode !== undefined ? [`Carrier code: ${problem.carrierCode}.`] : []),
    problem.account !== undefined
      ? `Nothing was changed for account ${problem.account}. Start again from /v1/accounts/${problem.account}/authorize.`
      : 'Nothing was changed.',
  ];
  return c.html(page('Authorization failed', lines), problem.status as 400, { ...PAGE_HEADERS, ...headers });
}

export function getOAuthCallback(deps: { authorization: AuthorizationFlow; actions?: AdminActions }) {
  return async function oauthCallback(c: Context<AppEnv>) {
    const state = c.req.query('state');
    // The binding cookie has served its purpose whatever the outcome (the state is used up).
    const cleared: Record<string, string> =
      state === undefined || state === ''
        ? {}
        : {
            'set-cookie': `${browserCookieName(state)}=; Path=${new URL(c.req.url).pathname}; Max-Age=0; HttpOnly; SameSite=Lax`,
          };
    let result;
    try {
      result = await deps.authorization.complete({
        query: c.req.queries(),
        url: new URL(c.req.url),
        cookie: (name) => getCookie(c, name),
      });
    } catch (error) {
      return failureAnswer(c, error, cleared);
    }
    await deps.actions?.authorizationCompleted(result.startedBy, result.account, result.generation);
    const expiresInMinutes = Math.max(0, Math.round((result.expiresAt - Date.now()) / 60_000));
    if (!wantsHtml(c)) {
      return c.json(
        {
          status: 'authorized',
          account: result.account,
          generation: result.generation,
          expiresInSeconds: Math.max(0, Math.round((result.expiresAt - Date.now()) / 1000)),
          refreshToken: result.refreshToken,
        },
        200,
        { ...PAGE_HEADERS, ...cleared },
      );
    }
    return c.html(
      page('Account authorized', [
        `Account ${result.account} is authorized. The gateway stored its tokens (generation ${result.generation}); the access token expires in about ${expiresInMinutes} minutes${result.refreshToken ? ' and will be refreshed automatically' : ', and the carrier sent no refresh token, so the account will need authorizing again then'}.`,
        'You can close this window.',
      ]),
      200,
      { ...PAGE_HEADERS, ...cleared },
    );
  };
}
