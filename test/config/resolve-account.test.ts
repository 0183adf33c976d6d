/**
 * @module test/config/resolve-account
 * Configuration errors found when an account meets its carrier's data (src/accounts/resolve.ts
 * `resolveOAuthAccount`): each names the account's key path and what the carrier needs.
 */
import { describe, expect, it } from 'vitest';

import { resolveOAuthAccount } from '../../src/accounts/resolve.js';
import { parseConfig } from '../../config/load.js';
import { configFailure } from './fixtures.js';

/** Parses a file with a valid UPS account first and `account` (YAML lines) second, then resolves it. */
function resolveSecond(account: string) {
  const config = parseConfig(
    `
clients:
  - id: shop
    apiKey: 'shop-api-key-0123456789'
    accounts: [ups-ok, target]
accounts:
  - id: ups-ok
    carrier: ups
    credentials: { clientId: ups-client, clientSecret: ups-secret-0000 }
  - id: target
${account}`,
    'gateway.yaml',
    {},
  );
  return resolveOAuthAccount(config.accounts[1]!, 1);
}

const detailOf = (account: string) => configFailure(() => resolveSecond(account)).detail;

describe('resolveOAuthAccount errors name the key path', () => {
  it('UPS without clientSecret ([UPS-CC] 1.3: HTTP Basic id:secret)', () => {
    expect(detailOf('    carrier: ups\n    credentials: { clientId: ups-client }\n')).toBe(
      'accounts[1].credentials.clientSecret: required for UPS with grant client_credentials',
    );
  });

  it('FedEx csp_credentials without childKey ([FDX-AUTH] 2.2)', () => {
    const account = `    carrier: fedex
    grant: csp_credentials
    credentials: { clientId: fedex-key, clientSecret: fedex-secret-0000, childSecret: child-secret-0000 }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].credentials.childKey: required for FedEx with grant csp_credentials',
    );
  });

  it('FedEx client_pc_credentials without childSecret ([FDX-AUTH] 2.2)', () => {
    const account = `    carrier: fedex
    grant: client_pc_credentials
    credentials: { clientId: fedex-key, clientSecret: fedex-secret-0000, childKey: child-key }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].credentials.childSecret: required for FedEx with grant client_pc_credentials',
    );
  });

  it('oauth2 without urls.token', () => {
    const account = `    carrier: oauth2
    urls: { api: 'https://api.example.test' }
    credentials: { clientId: generic, clientSecret: generic-secret-0000 }
`;
    expect(detailOf(account)).toBe('accounts[1].urls.token: required for carrier oauth2');
  });

  it('oauth2 without urls.api', () => {
    const account = `    carrier: oauth2
    urls: { token: 'https://auth.example.test/token' }
    credentials: { clientId: generic, clientSecret: generic-secret-0000 }
`;
    expect(detailOf(account)).toBe('accounts[1].urls.api: required for carrier oauth2');
  });

  it('oauth2 with no urls at all names urls.token', () => {
    const account =
      '    carrier: oauth2\n    credentials: { clientId: generic, clientSecret: generic-secret-0000 }\n';
    expect(detailOf(account)).toBe('accounts[1].urls.token: required for carrier oauth2');
  });

  it('oauth2 with client_secret_basic (the default) but no secret', () => {
    const account = `    carrier: oauth2
    urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test' }
    credentials: { clientId: generic }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].credentials.clientSecret: required for OAuth 2.0 with grant client_credentials',
    );
  });

  it('oauth2 password grant without username (RFC 6749 4.3.2)', () => {
    const account = `    carrier: oauth2
    grant: password
    urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test' }
    credentials: { clientId: generic, clientSecret: generic-secret-0000, password: pw-0000 }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].credentials.username: required for OAuth 2.0 with grant password',
    );
  });

  it('authorization_code without refreshToken ([UPS-AC])', () => {
    const account = `    carrier: ups
    grant: authorization_code
    credentials: { clientId: ups-client, clientSecret: ups-secret-0000 }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].credentials.refreshToken: required for grant authorization_code',
    );
  });

  it('a grant the carrier does not support: FedEx + authorization_code ([FDX-AUTH] 2.2: no such grant)', () => {
    const account = `    carrier: fedex
    grant: authorization_code
    credentials: { clientId: fedex-key, clientSecret: fedex-secret-0000, refreshToken: rt-0000 }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].grant: FedEx supports client_credentials, csp_credentials, client_pc_credentials, not authorization_code',
    );
  });

  it('UPS + password ([UPS-CC] 1.2: no password grant)', () => {
    const account = `    carrier: ups
    grant: password
    credentials: { clientId: ups-client, clientSecret: ups-secret-0000, username: u, password: p }
`;
    expect(detailOf(account)).toMatch(
      /^accounts\[1\]\.grant: UPS supports client_credentials, authorization_code, not password$/,
    );
  });

  it('an oauth2: block on a UPS account', () => {
    const account = `    carrier: ups
    credentials: { clientId: ups-client, clientSecret: ups-secret-0000 }
    oauth2: { clientAuthentication: client_secret_post }
`;
    expect(detailOf(account)).toBe(
      'accounts[1].oauth2: only accounts with carrier "oauth2" take an oauth2 block',
    );
  });

  it('the error is a configuration error whose message carries the same path', () => {
    const error = configFailure(() =>
      resolveSecond('    carrier: ups\n    credentials: { clientId: ups-client }\n'),
    );
    expect(error.message).toContain('accounts[1].credentials.clientSecret');
  });
});

describe('resolveOAuthAccount accepts complete accounts', () => {
  it('a public oauth2 client (clientAuthentication none) needs no secret', () => {
    const account = `    carrier: oauth2
    grant: authorization_code
    urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test/v1' }
    credentials: { clientId: public-app, refreshToken: seed-refresh-0000 }
    oauth2: { clientAuthentication: none }
`;
    const resolved = resolveSecond(account);
    expect(resolved.token).toMatchObject({ clientAuthentication: 'none', usesRefreshToken: true });
    // The API base ends with "/" so relative proxy paths stay under it.
    expect(resolved.api.baseUrl.toString()).toBe('https://api.example.test/v1/');
  });
});
