/**
 * @module carriers/registry
 * Which carriers exist, and how an account from the configuration becomes a `ResolvedAccount`:
 * carrier data + account settings merged into the one complete description the token engine
 * and the proxy work from. Carrier data is validated here, at boot.
 */
import type { AccountConfig, CarrierId, ClientAuthMethod, Credentials, Grant } from '../config/schema.js';
import { GatewayError } from '../src/errors.js';
import {
  descriptorDataSchema,
  type CarrierDescriptor,
  type CarrierDescriptorData,
  type TokenFailureClass,
} from './descriptor.js';
import { dhlParcelDe } from './dhl-parcel-de/index.js';
import { fedex } from './fedex/index.js';
import { OAUTH2_REQUIRED_URLS } from './oauth2/api.js';
import { oauth2 } from './oauth2/index.js';
import { ups } from './ups/index.js';
import { usps } from './usps/index.js';

export const CARRIERS: Record<CarrierId, CarrierDescriptor> = {
  ups,
  fedex,
  oauth2,
  'dhl-parcel-de': dhlParcelDe,
  usps,
};

/** Throws when a carrier's data does not match the descriptor schema. */
export function validateCarrierData(): void {
  for (const [id, carrier] of Object.entries(CARRIERS)) {
    const result = descriptorDataSchema.safeParse(carrier.data);
    if (!result.success) {
      const lines = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new GatewayError('ERR_CONFIG_INVALID', `carrier data for ${id} is invalid`, {
        detail: `carriers/${id}: ${lines.join('; ')}`,
      });
    }
  }
}

export interface TokenProfile {
  tokenUrl: string;
  refreshUrl: string;
  grant: Grant;
  /** Authorization-code accounts keep a refresh token and use the refresh_token grant. */
  usesRefreshToken: boolean;
  rotatesRefreshTokens: boolean;
  clientAuthentication: ClientAuthMethod;
  bodyEncoding: 'form' | 'json';
  basicCredentialEncoding: 'form-urlencoded' | 'raw';
  params: Record<string, string>;
  headers: Record<string, string>;
  issuedAtUnit?: 'ms' | 's';
  errorBodyShape: CarrierDescriptor['data']['token']['errorBodyShape'];
  errorCodes: Record<string, TokenFailureClass>;
  refreshErrorCodes: Record<string, TokenFailureClass>;
  timeoutMs: number;
}

export interface JwtExpectations {
  audience?: string;
  scopes?: string[];
  issuer?: string;
  jwksUrl?: string;
  publicKey?: string;
  clockToleranceSeconds: number;
}

export interface ResolvedAccount {
  id: string;
  carrier: CarrierId;
  descriptor: CarrierDescriptor;
  credentials: Credentials;
  token: TokenProfile;
  jwt: JwtExpectations;
  refresh: { marginMs: number; windowMs: number };
  api: { baseUrl: URL; timeoutMs: number; tokenRejectedStatuses: number[] };
}

/**
 * Where the refresh grant goes when the account does not say. A carrier with a separate refresh
 * endpoint (UPS /security/v1/oauth/refresh next to /security/v1/oauth/token, OAuthAuthCode.yaml)
 * keeps it next to an overridden token URL, path prefix included; others refresh at the token URL.
 */
function deriveRefreshUrl(
  tokenUrl: string,
  environmentRefresh: string | undefined,
  data: CarrierDescriptorData,
): string {
  const carrierHosts = data.environments?.sandbox;
  if (carrierHosts?.refresh === undefined) return tokenUrl;
  if (
    environmentRefresh !== undefined &&
    (tokenUrl === carrierHosts.token || tokenUrl === data.environments?.production.token)
  ) {
    return environmentRefresh;
  }
  const tokenPath = new URL(carrierHosts.token).pathname;
  const refreshPath = new URL(carrierHosts.refresh).pathname;
  const url = new URL(tokenUrl);
  const prefix = url.pathname.endsWith(tokenPath) ? url.pathname.slice(0, -tokenPath.length) : '';
  return new URL(prefix + refreshPath, url.origin).toString();
}

function accountError(index: number, path: string, message: string): GatewayError {
  const detail = `accounts[${index}].${path}: ${message}`;
  return new GatewayError('ERR_CONFIG_INVALID', `invalid configuration: ${detail}`, { detail });
}

function pickCredentials(
  map: Record<string, keyof Credentials>,
  credentials: Credentials,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(map)) {
    const value = credentials[field];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Merges carrier data and account settings; errors name the account's key path. */
export function resolveAccount(account: AccountConfig, index: number): ResolvedAccount {
  const descriptor = CARRIERS[account.carrier];
  const data = descriptor.data;
  const grant = account.grant ?? data.token.defaultGrant;
  if (!data.token.grants.includes(grant)) {
    throw accountError(index, 'grant', `${data.name} supports ${data.token.grants.join(', ')}, not ${grant}`);
  }
  if (account.carrier !== 'oauth2' && account.oauth2 !== undefined) {
    throw accountError(index, 'oauth2', 'only accounts with carrier "oauth2" take an oauth2 block');
  }
  const profile = account.oauth2;
  const clientAuthentication = profile?.clientAuthentication ?? data.token.clientAuthentication;

  const required = [...(data.token.requiredCredentials[grant] ?? [])];
  if (clientAuthentication !== 'none' && !required.includes('clientSecret')) required.push('clientSecret');
  for (const field of required) {
    if (account.credentials[field] === undefined) {
      throw accountError(index, `credentials.${field}`, `required for ${data.name} with grant ${grant}`);
    }
  }
  if (
    clientAuthentication === 'client_secret_basic' &&
    data.token.basicCredentialEncoding === 'raw' &&
    account.credentials.clientId.includes(':')
  ) {
    // RFC 7617 2: a user-id containing a colon cannot be sent in Basic without encoding.
    throw accountError(index, 'credentials.clientId', `must not contain ":" for ${data.name} (HTTP Basic)`);
  }
  const usesRefreshToken = grant === 'authorization_code';
  if (usesRefreshToken && account.credentials.refreshToken === undefined) {
    // Until the onboarding flow stores one, an authorization-code account is seeded from config.
    throw accountError(index, 'credentials.refreshToken', 'required for grant authorization_code');
  }

  const environment = data.environments?.[account.environment];
  const urls = {
    token: environment?.token,
    refresh: environment?.refresh,
    api: environment?.api,
    ...account.urls,
  };
  if (account.carrier === 'oauth2') {
    for (const key of OAUTH2_REQUIRED_URLS) {
      if (account.urls?.[key] === undefined)
        throw accountError(index, `urls.${key}`, 'required for carrier oauth2');
    }
  }
  const refreshUrl = account.urls?.refresh ?? deriveRefreshUrl(urls.token!, urls.refresh, data);

  const params: Record<string, string> = {
    ...pickCredentials(data.token.credentialParams[grant] ?? {}, account.credentials),
    ...(profile?.extraParams ?? {}),
  };
  if (profile?.scope) params.scope = profile.scope;
  if (profile?.audience) params.audience = profile.audience;
  if (profile?.resource) params.resource = profile.resource;

  const baseUrl = new URL(urls.api!);
  if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';

  const checks = account.token ?? {};
  const jwt: JwtExpectations = { clockToleranceSeconds: checks.clockToleranceSeconds ?? 30 };
  if (checks.expectedAudience !== undefined) jwt.audience = checks.expectedAudience;
  if (checks.expectedScopes !== undefined) jwt.scopes = checks.expectedScopes;
  if (checks.expectedIssuer !== undefined) jwt.issuer = checks.expectedIssuer;
  if (checks.jwksUrl !== undefined) jwt.jwksUrl = checks.jwksUrl;
  if (checks.publicKey !== undefined) jwt.publicKey = checks.publicKey;

  const token: TokenProfile = {
    tokenUrl: urls.token!,
    refreshUrl,
    grant,
    usesRefreshToken,
    rotatesRefreshTokens: profile?.rotatesRefreshTokens ?? data.token.rotatesRefreshTokens,
    clientAuthentication,
    bodyEncoding: profile?.bodyEncoding ?? data.token.bodyEncoding,
    basicCredentialEncoding: data.token.basicCredentialEncoding,
    params,
    headers: {
      ...pickCredentials(data.token.credentialHeaders, account.credentials),
      ...(profile?.extraHeaders ?? {}),
    },
    errorBodyShape: data.token.errorBodyShape,
    errorCodes: data.token.errorCodes,
    refreshErrorCodes: data.token.refreshErrorCodes,
    timeoutMs: account.timeouts?.tokenMs ?? 10_000,
  };
  if (data.token.issuedAtUnit !== undefined) token.issuedAtUnit = data.token.issuedAtUnit;

  return {
    id: account.id,
    carrier: account.carrier,
    descriptor,
    credentials: account.credentials,
    token,
    jwt,
    refresh: {
      marginMs: (account.refresh?.marginSeconds ?? data.refresh.marginSeconds) * 1000,
      windowMs: (account.refresh?.windowSeconds ?? data.refresh.windowSeconds) * 1000,
    },
    api: {
      baseUrl,
      timeoutMs: account.timeouts?.apiMs ?? 30_000,
      tokenRejectedStatuses: data.api.tokenRejectedStatuses,
    },
  };
}
