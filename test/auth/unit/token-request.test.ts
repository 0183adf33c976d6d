/**
 * @module test/auth/unit/token-request
 * The token request each carrier gets (src/auth/token-client.ts `buildTokenRequest`): URL, client
 * authentication (Basic, body, none), body encoding, carrier headers and grant parameters.
 */
import { describe, expect, it } from 'vitest';

import { buildTokenRequest, type TokenRequest } from '../../../src/auth/token-client.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  fedexAccount,
  oauth2Account,
  resolved,
  SECRETS,
  upsAccount,
  upsAuthCodeAccount,
  uspsAccount,
} from './fixtures.js';

const initial = { kind: 'initial' } as const;

/** RFC 6749 2.3.1 / WHATWG form decoding of one Basic credential half. */
const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

function basicCredentials(request: TokenRequest): { id: string; secret: string; raw: string } {
  const header = request.headers.authorization ?? '';
  expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  const raw = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  return { id: formDecode(raw.slice(0, colon)), secret: formDecode(raw.slice(colon + 1)), raw };
}

const formFields = (request: TokenRequest) => Object.fromEntries(new URLSearchParams(request.body));

/** The oauth2 fixture account's client, as client_secret_post puts it in the body. */
const POSTED_CLIENT = { client_id: 'oauth2-client', client_secret: SECRETS.oauth2ClientSecret };

describe('UPS ([UPS-CC] 1.3)', () => {
  it('sends HTTP Basic client_id:client_secret and only grant_type in a form body', () => {
    const request = buildTokenRequest(upsAccount(), initial);
    expect(request.url).toBe('https://wwwcie.ups.com/security/v1/oauth/token');
    expect(basicCredentials(request)).toMatchObject({ id: 'ups-client-id', secret: SECRETS.upsClientSecret });
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.accept).toBe('application/json');
    expect(request.body).toBe('grant_type=client_credentials');
  });

  it('sends id and secret as they are in Basic: UPS documents no form-encoding ([UPS-CC])', () => {
    const clientSecret = 'p@ss w%rd&x=y +é/ü';
    registerSecrets(clientSecret);
    const request = buildTokenRequest(
      upsAccount({ credentials: { clientId: 'shop-eu', clientSecret } }),
      initial,
    );
    const header = request.headers.authorization ?? '';
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')).toBe(
      `shop-eu:${clientSecret}`,
    );
  });

  it('refuses a UPS client id with a colon, which raw Basic cannot carry (RFC 7617 2)', () => {
    expect(() =>
      upsAccount({ credentials: { clientId: 'shop:eu', clientSecret: SECRETS.upsClientSecret } }),
    ).toThrow(/credentials\.clientId/);
  });

  it('sends x-merchant-id only when merchantId is configured ([UPS-CC], [KAR-UPS])', () => {
    const withMerchant = buildTokenRequest(
      upsAccount({
        credentials: {
          clientId: 'ups-client-id',
          clientSecret: SECRETS.upsClientSecret,
          merchantId: '123456',
        },
      }),
      initial,
    );
    expect(withMerchant.headers['x-merchant-id']).toBe('123456');
    expect(withMerchant.body).toBe('grant_type=client_credentials');
    expect(buildTokenRequest(upsAccount(), initial).headers).not.toHaveProperty('x-merchant-id');
  });

  it('production uses the production host', () => {
    expect(buildTokenRequest(upsAccount({ environment: 'production' }), initial).url).toBe(
      'https://onlinetools.ups.com/security/v1/oauth/token',
    );
  });

  it('refreshes at /v1/oauth/refresh with grant_type=refresh_token and Basic auth ([UPS-AC])', () => {
    const refreshToken = 'ups-refresh-token-rotated-7f7f';
    registerSecrets(refreshToken);
    const request = buildTokenRequest(upsAuthCodeAccount(), { kind: 'refresh', refreshToken });
    expect(request.url).toBe('https://wwwcie.ups.com/security/v1/oauth/refresh');
    expect(request.body).toBe(`grant_type=refresh_token&refresh_token=${refreshToken}`);
    expect(basicCredentials(request).secret).toBe(SECRETS.upsClientSecret);
  });
});

describe('FedEx ([FDX-AUTH] 2.3)', () => {
  it('puts client_id, client_secret and grant_type in the form body, with no Authorization header', () => {
    const request = buildTokenRequest(fedexAccount(), initial);
    expect(request.url).toBe('https://apis-sandbox.fedex.com/oauth/token');
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(formFields(request)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'fedex-api-key',
      client_secret: SECRETS.fedexClientSecret,
    });
  });

  it.each(['csp_credentials', 'client_pc_credentials'])(
    '%s adds child_Key and child_secret ([FDX-AUTH] 2.2)',
    (grant) => {
      const account = fedexAccount({
        grant,
        credentials: {
          clientId: 'fedex-api-key',
          clientSecret: SECRETS.fedexClientSecret,
          childKey: 'child-key-42',
          childSecret: SECRETS.fedexChildSecret,
        },
      });
      expect(formFields(buildTokenRequest(account, initial))).toEqual({
        grant_type: grant,
        child_Key: 'child-key-42',
        child_secret: SECRETS.fedexChildSecret,
        client_id: 'fedex-api-key',
        client_secret: SECRETS.fedexClientSecret,
      });
    },
  );
});

describe('generic OAuth 2.0 (RFC 6749)', () => {
  it('client_secret_basic (the default): Basic header, no credentials in the body', () => {
    const request = buildTokenRequest(oauth2Account({ scope: 'shipping tracking' }), initial);
    expect(request.url).toBe('https://auth.example.test/oauth/token');
    expect(basicCredentials(request)).toMatchObject({
      id: 'oauth2-client',
      secret: SECRETS.oauth2ClientSecret,
    });
    expect(formFields(request)).toEqual({ grant_type: 'client_credentials', scope: 'shipping tracking' });
  });

  it('form-urlencodes id and secret before Basic encoding (RFC 6749 2.3.1)', () => {
    const clientId = 'shop:eu west+1';
    const clientSecret = 'p@ss:w%rd&x=y +é/ü';
    registerSecrets(clientSecret);
    const request = buildTokenRequest(
      oauth2Account({}, { credentials: { clientId, clientSecret } }),
      initial,
    );
    const { id, secret, raw } = basicCredentials(request);
    expect({ id, secret }).toEqual({ id: clientId, secret: clientSecret });
    // The only raw ':' separates id from secret; spaces became '+', a literal '+' is %2B.
    expect(raw.split(':')).toHaveLength(2);
    expect(raw.startsWith('shop%3Aeu+west%2B1:')).toBe(true);
  });

  it('client_secret_post: id and secret in the body, no Authorization header', () => {
    const request = buildTokenRequest(oauth2Account({ clientAuthentication: 'client_secret_post' }), initial);
    expect(request.headers).not.toHaveProperty('authorization');
    expect(formFields(request)).toEqual({ grant_type: 'client_credentials', ...POSTED_CLIENT });
  });

  it('none (public client): client_id in the body and no secret anywhere', () => {
    const account = resolved({
      id: 'public-app',
      carrier: 'oauth2',
      grant: 'authorization_code',
      urls: { token: 'https://auth.example.test/oauth/token', api: 'https://api.example.test' },
      credentials: { clientId: 'public-client', refreshToken: SECRETS.upsRefreshToken },
      oauth2: { clientAuthentication: 'none' },
    });
    const request = buildTokenRequest(account, { kind: 'refresh', refreshToken: SECRETS.upsRefreshToken });
    expect(request.headers).not.toHaveProperty('authorization');
    expect(formFields(request)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: SECRETS.upsRefreshToken,
      client_id: 'public-client',
    });
    expect(request.body).not.toContain('client_secret');
    expect(JSON.stringify(request.headers)).not.toContain('secret');
  });

  it('refresh without a separate refresh URL goes to the token URL', () => {
    const account = oauth2Account(
      { clientAuthentication: 'client_secret_post' },
      {
        grant: 'authorization_code',
        credentials: {
          clientId: 'oauth2-client',
          clientSecret: SECRETS.oauth2ClientSecret,
          refreshToken: SECRETS.upsRefreshToken,
        },
      },
    );
    const request = buildTokenRequest(account, { kind: 'refresh', refreshToken: 'rotated-refresh-0001' });
    expect(request.url).toBe('https://auth.example.test/oauth/token');
    expect(request.body).toBe(
      `grant_type=refresh_token&refresh_token=rotated-refresh-0001&client_id=oauth2-client&client_secret=${SECRETS.oauth2ClientSecret}`,
    );
  });

  it('json body encoding (USPS accepts JSON, [USPS-OAUTH] 5.3)', () => {
    const account = oauth2Account({
      clientAuthentication: 'client_secret_post',
      bodyEncoding: 'json',
      scope: 'addresses tracking',
    });
    const request = buildTokenRequest(account, initial);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      grant_type: 'client_credentials',
      scope: 'addresses tracking',
      ...POSTED_CLIENT,
    });
  });

  it('audience, resource, extra params and extra headers are sent', () => {
    const account = oauth2Account({
      audience: 'https://api.example.test',
      resource: 'https://api.example.test/v2',
      extraParams: { tenant: 'eu' },
      extraHeaders: { 'x-tenant': 'eu' },
    });
    const request = buildTokenRequest(account, initial);
    expect(request.headers['x-tenant']).toBe('eu');
    expect(formFields(request)).toEqual({
      grant_type: 'client_credentials',
      tenant: 'eu',
      audience: 'https://api.example.test',
      resource: 'https://api.example.test/v2',
    });
  });

  it('password grant sends the resource owner credentials in the body (RFC 6749 4.3.2)', () => {
    const account = oauth2Account(
      {},
      {
        grant: 'password',
        credentials: {
          clientId: 'oauth2-client',
          clientSecret: SECRETS.oauth2ClientSecret,
          username: 'warehouse-7',
          password: 'owner-password-0c0c',
        },
      },
    );
    registerSecrets('owner-password-0c0c');
    expect(formFields(buildTokenRequest(account, initial))).toEqual({
      grant_type: 'password',
      username: 'warehouse-7',
      password: 'owner-password-0c0c',
    });
  });

  it('USPS: client_secret_post in a form body to the TEM token URL ([USPS-OAUTH] 5.1, 5.3)', () => {
    const request = buildTokenRequest(uspsAccount(), initial);
    expect(request.url).toBe('https://apis-tem.usps.com/oauth2/v3/token');
    expect(formFields(request)).toMatchObject({
      client_id: 'usps-consumer-key',
      client_secret: SECRETS.uspsClientSecret,
    });
  });
});
