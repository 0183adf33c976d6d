/**
 * @module test/onboarding/configuration
 * How an authorization-code account's onboarding profile is resolved from carrier data and the
 * account (src/accounts/resolve.ts `resolveOAuthAccount`): the authorization endpoint per carrier
 * ([UPS-AC] OAuthAuthCode.yaml, [USPS-OAUTH] 5.1, `urls.authorize` for oauth2), the redirect URI
 * (`authorization.redirectUri` or `publicUrl` + /v1/oauth/callback), PKCE defaults (UPS on, USPS
 * off as UNVERIFIED, oauth2 on), and the configuration errors, each naming its key path.
 */
import { describe, expect, it } from 'vitest';

import { resolveOAuthAccount, type ResolveContext } from '../../src/accounts/resolve.js';
import { configSchema } from '../../config/schema.js';
import { isGatewayError } from '../../src/core/errors.js';

const SECRET = { clientId: 'app-client', clientSecret: 'app-secret-0000' };
const PUBLIC = { publicUrl: 'https://gateway.example.com/' };

function resolve(account: Record<string, unknown>, context: ResolveContext = PUBLIC) {
  const config = configSchema.parse({
    clients: [{ id: 'shop', apiKey: 'shop-api-key-0123456789', accounts: [account.id] }],
    accounts: [account],
  });
  return resolveOAuthAccount(config.accounts[0]!, 0, context);
}

function detailOf(account: Record<string, unknown>, context: ResolveContext = PUBLIC): string {
  try {
    resolve(account, context);
  } catch (error) {
    expect(isGatewayError(error) && error.code).toBe('ERR_CONFIG_INVALID');
    return isGatewayError(error) ? (error.detail ?? '') : '';
  }
  throw new Error('expected a configuration error');
}

const ups = (extra: Record<string, unknown> = {}) => ({
  id: 'ups-3p',
  carrier: 'ups',
  grant: 'authorization_code',
  credentials: SECRET,
  ...extra,
});

describe('onboarding profile', () => {
  it('UPS: /security/v1/oauth/authorize on the CIE and production hosts, PKCE on, client_id only with PKCE', () => {
    expect(resolve(ups()).authorization).toEqual({
      authorizeUrl: 'https://wwwcie.ups.com/security/v1/oauth/authorize',
      redirectUri: 'https://gateway.example.com/v1/oauth/callback',
      pkce: true,
      pkceClientIdOnly: true,
      params: {},
      codeExchangeErrors: expect.objectContaining({ '10400': { outcome: 'code_rejected' } }),
    });
    expect(resolve(ups({ environment: 'production' })).authorization?.authorizeUrl).toBe(
      'https://onlinetools.ups.com/security/v1/oauth/authorize',
    );
  });

  it('UPS with an overridden token URL keeps /authorize next to it, path prefix included', () => {
    const account = resolve(ups({ urls: { token: 'http://127.0.0.1:9100/ups/security/v1/oauth/token' } }));
    expect(account.authorization?.authorizeUrl).toBe('http://127.0.0.1:9100/ups/security/v1/oauth/authorize');
    expect(account.token.refreshUrl).toBe('http://127.0.0.1:9100/ups/security/v1/oauth/refresh');
  });

  it('UPS without PKCE (authorization.pkce false) authenticates the code exchange as usual', () => {
    const account = resolve(ups({ authorization: { pkce: false, scope: 'read' } }));
    expect(account.authorization).toMatchObject({ pkce: false, pkceClientIdOnly: false, scope: 'read' });
  });

  it('USPS: /oauth2/v3/authorize, PKCE off unless the account opts in ([USPS-OAUTH] 5.2: UNVERIFIED)', () => {
    const usps = { id: 'usps-3p', carrier: 'usps', grant: 'authorization_code', credentials: SECRET };
    expect(resolve(usps).authorization).toMatchObject({
      authorizeUrl: 'https://apis-tem.usps.com/oauth2/v3/authorize',
      pkce: false,
    });
    expect(resolve({ ...usps, authorization: { pkce: true } }).authorization).toMatchObject({
      pkce: true,
      // RFC 7636 4.5: the client keeps authenticating (client_secret_post for USPS).
      pkceClientIdOnly: false,
    });
  });

  it('oauth2: urls.authorize, PKCE on, scope and resource from the oauth2 block (RFC 8707 2.1)', () => {
    const account = resolve({
      id: 'generic',
      carrier: 'oauth2',
      grant: 'authorization_code',
      urls: {
        token: 'https://auth.example.test/token',
        authorize: 'https://auth.example.test/authorize?tenant=t1',
        api: 'https://api.example.test',
      },
      credentials: SECRET,
      oauth2: { scope: 'shipping', resource: 'https://api.example.test', audience: 'shipping-api' },
      authorization: { redirectUri: 'https://ops.example.com/gw/v1/oauth/callback?via=ops' },
    });
    expect(account.authorization).toMatchObject({
      authorizeUrl: 'https://auth.example.test/authorize?tenant=t1',
      redirectUri: 'https://ops.example.com/gw/v1/oauth/callback?via=ops',
      scope: 'shipping',
      pkce: true,
      pkceClientIdOnly: false,
      params: { resource: 'https://api.example.test', audience: 'shipping-api' },
    });
  });

  it('an account with a seed refresh token and no redirect URI runs without onboarding', () => {
    const account = resolve(ups({ credentials: { ...SECRET, refreshToken: 'seed-0000' } }), {});
    expect(account.authorization).toBeUndefined();
    expect(account.token.usesRefreshToken).toBe(true);
  });
});

describe('onboarding configuration errors', () => {
  it('no seed refresh token and no redirect URI', () => {
    expect(detailOf(ups(), {})).toBe(
      'accounts[0].credentials.refreshToken: required for grant authorization_code',
    );
  });

  it('an authorization block without any redirect URI', () => {
    expect(detailOf(ups({ authorization: { pkce: false } }), {})).toBe(
      'accounts[0].authorization.redirectUri: required (or a top-level publicUrl)',
    );
  });

  it('a redirect URI that cannot reach the callback route, or has a fragment (RFC 6749 3.1.2)', () => {
    for (const redirectUri of [
      'https://gw.example.com/callback',
      'https://gw.example.com/v1/oauth/callback#x',
    ]) {
      expect(detailOf(ups({ authorization: { redirectUri } }))).toBe(
        "accounts[0].authorization.redirectUri: must end with /v1/oauth/callback (the gateway's callback) and have no fragment",
      );
    }
  });

  it('an authorization block on a client-credentials account', () => {
    expect(detailOf(ups({ grant: 'client_credentials', authorization: {} }))).toBe(
      'accounts[0].authorization: only for grant authorization_code',
    );
  });

  it('an oauth2 authorization-code account without urls.authorize', () => {
    const account = {
      id: 'generic',
      carrier: 'oauth2',
      grant: 'authorization_code',
      urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test' },
      credentials: SECRET,
    };
    expect(detailOf(account)).toBe(
      'accounts[0].urls.authorize: required for carrier oauth2 with grant authorization_code',
    );
  });

  it('an unknown key in the authorization block is refused by the schema', () => {
    const parsed = configSchema.safeParse({
      clients: [{ id: 'shop', apiKey: 'shop-api-key-0123456789', accounts: ['ups-3p'] }],
      accounts: [ups({ authorization: { pkce: true, codeChallengeMethod: 'plain' } })],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      keys: ['codeChallengeMethod'],
    });
  });
});
