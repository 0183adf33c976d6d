/**
 * @module test/auth/unit/fixtures
 * Resolved accounts and carrier bodies for the token-endpoint unit tests. Accounts go through the
 * real config schema and `resolveOAuthAccount`, so defaults and carrier data are the ones the gateway
 * boots with. Every body cites its source tag in ../shared/carrier-auth-facts.md.
 */
import { resolveOAuthAccount } from '../../../src/accounts/resolve.js';
import { type ResolvedAccount } from '../../../src/core/account.js';
import { configSchema } from '../../../config/schema.js';
import { registerSecrets } from '../../support/log-capture.js';

/** Invented credentials; registered so the log scan fails the run if one is ever logged. */
export const SECRETS = {
  upsClientSecret: 'ups-unit-secret-6f1c2d',
  fedexClientSecret: 'fedex-unit-secret-81be0a',
  fedexChildSecret: 'fedex-child-secret-5d0c77',
  oauth2ClientSecret: 'oauth2-unit-secret-c4a9e1',
  uspsClientSecret: 'usps-unit-secret-0b7f3e',
  upsRefreshToken: 'ups-unit-refresh-token-9a8b7c',
  accessToken: 'unit-access-token-3e5d1f0a',
};
registerSecrets(...Object.values(SECRETS));

/** Parses one account through the real schema (defaults applied) and resolves it. */
export function resolved(account: Record<string, unknown>): ResolvedAccount {
  const config = configSchema.parse({
    clients: [{ id: 'shop', apiKey: 'shop-api-key-0123456789', accounts: [account.id] }],
    accounts: [account],
  });
  return resolveOAuthAccount(config.accounts[0]!, 0);
}

/** An account `id` of `carrier` with these client credentials, `overrides` over it. */
const clientAccount =
  (id: string, carrier: string, clientId: string, clientSecret: string) =>
  (overrides: Record<string, unknown> = {}): ResolvedAccount =>
    resolved({ id, carrier, credentials: { clientId, clientSecret }, ...overrides });

export const upsAccount = clientAccount('ups-main', 'ups', 'ups-client-id', SECRETS.upsClientSecret);

export const upsAuthCodeAccount = (): ResolvedAccount =>
  resolved({
    id: 'ups-authcode',
    carrier: 'ups',
    grant: 'authorization_code',
    credentials: {
      clientId: 'ups-client-id',
      clientSecret: SECRETS.upsClientSecret,
      refreshToken: SECRETS.upsRefreshToken,
    },
  });

export const fedexAccount = clientAccount('fedex-main', 'fedex', 'fedex-api-key', SECRETS.fedexClientSecret);

export const oauth2Account = (profile: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  resolved({
    id: 'oauth2-main',
    carrier: 'oauth2',
    urls: { token: 'https://auth.example.test/oauth/token', api: 'https://api.example.test' },
    credentials: { clientId: 'oauth2-client', clientSecret: SECRETS.oauth2ClientSecret },
    oauth2: profile,
    ...extra,
  });

/** USPS v3 through the generic adapter: client_id/client_secret in the body ([USPS-OAUTH] 5.3). */
export const uspsAccount = (): ResolvedAccount =>
  resolved({
    id: 'usps-tem',
    carrier: 'oauth2',
    urls: { token: 'https://apis-tem.usps.com/oauth2/v3/token', api: 'https://apis-tem.usps.com' },
    credentials: { clientId: 'usps-consumer-key', clientSecret: SECRETS.uspsClientSecret },
    oauth2: { clientAuthentication: 'client_secret_post' },
  });

// ---------------------------------------------------------------------------------------------
// Error bodies
// ---------------------------------------------------------------------------------------------

const upsErrors = (code: string, message: string) => ({ response: { errors: [{ code, message }] } });

/** HTTP 401, bad client id ([KAR-I503]; code meaning in [UPS-SDK]). */
export const UPS_10401 = upsErrors('10401', 'ClientId is Invalid');
/** Revoked or spent refresh token ([TECHSHIP]); the HTTP status is UNVERIFIED, 400 assumed ([UPS-CC] declares 400). */
export const UPS_10400_REFRESH = upsErrors('10400', 'Invalid Refresh Token');
/** 10400 on the initial grant: "Invalid/Missing Authorization Header" ([UPS-SDK]). */
export const UPS_10400_HEADER = upsErrors('10400', 'Invalid/Missing Authorization Header');
/** HTTP 429 rate limit, no Retry-After ([UPS-I8], [UPS-I123]). */
export const UPS_10429 = upsErrors('10429', 'Too Many Requests');

/** FedEx's error body: a transaction id and one error. */
const fedexError = (transactionId: string, code: string, message: string) => ({
  transactionId,
  errors: [{ code, message }],
});

/** HTTP 401 at /oauth/token ([FDX-AUTH]). */
export const FEDEX_NOT_AUTHORIZED = fedexError(
  '624deea6-b709-470c-8c39-4b5511281492',
  'NOT.AUTHORIZED.ERROR',
  'The given client credentials were not valid. Please modify your request and try again.',
);
/** HTTP 503 at /oauth/token ([FDX-AUTH]). */
export const FEDEX_SERVICE_UNAVAILABLE = fedexError(
  '624deea6-b709-470c-8c39-4b5511281493',
  'SERVICE.UNAVAILABLE.ERROR',
  'The service is currently unavailable.',
);
/** HTTP 500 at /oauth/token ([FDX-AUTH]). */
export const FEDEX_INTERNAL = fedexError(
  '624deea6-b709-470c-8c39-4b5511281494',
  'INTERNAL.SERVER.ERROR',
  'We encountered an unexpected error.',
);
/** HTTP 403 ([FDX-TRK]). */
export const FEDEX_FORBIDDEN = fedexError(
  '624deea6-b709-470c-8c39-4b5511281495',
  'FORBIDDEN.ERROR',
  'We could not authorize your credentials. Please check your permissions and try again.',
);

/** HTTP 401 unknown client ([USPS-OAUTH] 5.5). */
export const USPS_INVALID_CLIENT = {
  error: 'invalid_client',
  error_description:
    'InvalidApiKey: The client application credentials provided in the request are missing, invalid, inactive or not approved for access.',
  error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#page-45',
};
/** HTTP 429 with `Retry-After: 30` ([USPS-OAUTH] 5.5). */
export const USPS_SPIKE_ARREST = {
  error: 'invalid_request',
  error_description: 'SpikeArrestViolation: Too many requests received from client in a short time.',
  error_uri: 'https://datatracker.ietf.org/doc/html/rfc6585#section-4',
};

/** RFC 6749 5.2 error body. */
export const rfc6749 = (error: string, description = `${error} (RFC 6749 5.2)`) => ({
  error,
  error_description: description,
});

// ---------------------------------------------------------------------------------------------
// Success bodies
// ---------------------------------------------------------------------------------------------

/** Every field a string, `issued_at` in epoch ms ([UPS-CC]; real response in [KAR-UPS] tests). */
export function upsTokenBody(issuedAtMs: number, overrides: Record<string, unknown> = {}) {
  return {
    token_type: 'Bearer',
    issued_at: String(issuedAtMs),
    client_id: 'ups-client-id',
    access_token: SECRETS.accessToken,
    scope: '',
    expires_in: '14399',
    refresh_count: '0',
    status: 'approved',
    ...overrides,
  };
}

/** Numeric `expires_in`, lower-case `bearer` ([FDX-AUTH]; real response in [KAR-FDX] tests). */
export function fedexTokenBody(overrides: Record<string, unknown> = {}) {
  return {
    access_token: SECRETS.accessToken,
    token_type: 'bearer',
    expires_in: 3599,
    scope: 'CXS-TP',
    ...overrides,
  };
}
