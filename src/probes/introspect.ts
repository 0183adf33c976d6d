/**
 * @module probes/introspect
 * The probe's `introspect` step for accounts with `oauth2.introspectionUrl`: one RFC 7662 token
 * introspection of the access token in use. A carrier API answers a revoked token and an expired
 * one with the same 401 `invalid_token` (RFC 6750 3.1), so only the authorization server can say
 * a token our clock still holds valid was withdrawn: `{"active": false}` for it is
 * `authorization.revoked`. The request is built here and exported for the tests; it is sent, and
 * failures of the endpoint itself classified, by the token endpoint's own send step
 * (`sendTokenRequest`, src/auth/token-client.ts).
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';

import type { ResolvedAccount } from '../core/account.js';
import { classifyHttpFailure } from '../auth/classify.js';
import { buildTokenRequest, sendTokenRequest, type TokenRequest } from '../auth/token-client.js';
import { GatewayError } from '../core/errors.js';

/**
 * RFC 7662 2.2: `active` is REQUIRED; the other members are OPTIONAL and, for an inactive token,
 * SHOULD be absent. Extensions (2.2: "Specific implementations MAY extend this structure") pass.
 */
export const introspectionResponseSchema = z.looseObject({
  active: z.boolean(),
  scope: z.string().optional(),
  client_id: z.string().optional(),
  token_type: z.string().optional(),
  exp: z.number().optional(),
  iat: z.number().optional(),
});
export type IntrospectionResponse = z.infer<typeof introspectionResponseSchema>;

/**
 * RFC 7662 2.1: a POST with a form body (`token`, and `token_type_hint` "access_token"), the
 * client authenticated as at the token endpoint. The token request's own client authentication
 * (method, Basic encoding, extra headers) is reused, so the two can never drift apart; only its
 * grant fields are dropped, and the body is a form whatever the token endpoint takes, because
 * 2.1 prescribes "application/x-www-form-urlencoded".
 */
export function buildIntrospectionRequest(account: ResolvedAccount, token: string): TokenRequest {
  const introspectionUrl = account.token.introspectionUrl;
  if (introspectionUrl === undefined) throw new Error(`account ${account.id} has no introspection URL`);
  const asToken = buildTokenRequest(
    { ...account, token: { ...account.token, bodyEncoding: 'form', params: {} } },
    { kind: 'initial' },
  );
  const fields = new URLSearchParams(asToken.body);
  fields.delete('grant_type');
  fields.set('token', token);
  fields.set('token_type_hint', 'access_token');
  return { url: introspectionUrl, headers: asToken.headers, body: fields.toString() };
}

/**
 * One introspection request, no retries. Throws a classified `GatewayError`: transport failures
 * and error answers as at the token endpoint (a 401 is `invalid_client`, RFC 7662 2.3), a 2xx
 * without a boolean `active` as a malformed response (or an error in a success body).
 */
export async function introspectToken(
  account: ResolvedAccount,
  token: string,
  options: { now: () => number; dispatcher?: Dispatcher },
): Promise<IntrospectionResponse> {
  const { status, body } = await sendTokenRequest(
    account,
    buildIntrospectionRequest(account, token),
    'initial',
    options,
  );
  const parsed = introspectionResponseSchema.safeParse(body);
  if (!parsed.success) {
    const failure = classifyHttpFailure(account.id, account.token, 'initial', { status, body });
    if (failure.code !== 'ERR_TOKEN_MALFORMED_RESPONSE') throw failure;
    throw new GatewayError('ERR_TOKEN_MALFORMED_RESPONSE', undefined, {
      account: account.id,
      upstreamStatus: status,
      detail: body === undefined ? 'body is not JSON' : 'no boolean "active" (RFC 7662 2.2)',
    }).withUpstreamBody(body);
  }
  return parsed.data;
}
