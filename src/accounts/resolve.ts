/**
 * @module accounts/resolve
 * How an account from the configuration becomes a `ConfiguredAccount` (src/core/account.ts):
 * carrier data (carriers/index.ts) + account settings merged into the one complete description
 * every feature works from. Carrier data is validated here, at boot.
 */
import type { AccountConfig } from '../../config/schema.js';
import { CARRIERS } from '../../carriers/index.js';
import {
  OAUTH_CALLBACK_PATH,
  type AccountBase,
  type AccountShipping,
  type AuthorizationProfile,
  type ConfiguredAccount,
  type Credentials,
  type DependentTokenProfile,
  type JwtExpectations,
  type ResolvedAccount,
  type StaticAccount,
  type TokenProfile,
} from '../core/account.js';
import { descriptorDataSchema, type CarrierDescriptorData } from '../core/carrier.js';
import { GatewayError } from '../core/errors.js';

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

/** Gateway-wide settings an account's resolution depends on. */
export interface ResolveContext {
  /** The top-level `publicUrl`: the default redirect URI is this + OAUTH_CALLBACK_PATH. */
  publicUrl?: string;
}

/**
 * Where the refresh grant (or the authorization endpoint) is when the account does not say. A
 * carrier with a separate refresh endpoint (UPS /security/v1/oauth/refresh next to
 * /security/v1/oauth/token, OAuthAuthCode.yaml) keeps it next to an overridden token URL, path
 * prefix included; with the carrier's own token URL it is the environment's. Undefined when the
 * carrier has no such endpoint.
 */
function deriveSiblingUrl(
  tokenUrl: string,
  kind: 'refresh' | 'authorize',
  environmentValue: string | undefined,
  data: CarrierDescriptorData,
): string | undefined {
  const carrierHosts = data.environments?.sandbox;
  const sibling = carrierHosts?.[kind];
  if (sibling === undefined || carrierHosts?.token === undefined) return undefined;
  if (
    environmentValue !== undefined &&
    (tokenUrl === carrierHosts.token || tokenUrl === data.environments?.production.token)
  ) {
    return environmentValue;
  }
  const tokenPath = new URL(carrierHosts.token).pathname;
  const siblingPath = new URL(sibling).pathname;
  const url = new URL(tokenUrl);
  const prefix = url.pathname.endsWith(tokenPath) ? url.pathname.slice(0, -tokenPath.length) : '';
  return new URL(prefix + siblingPath, url.origin).toString();
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
export function resolveAccount(
  account: AccountConfig,
  index: number,
  context: ResolveContext = {},
): ConfiguredAccount {
  const data = CARRIERS[account.carrier].data;
  if (
    account.payment !== undefined &&
    !(data.dependentTokens ?? []).some((dependent) => dependent.configBlock === 'payment')
  ) {
    throw accountError(index, 'payment', `${data.name} takes no payment block`);
  }
  // A carrier with both modes uses tokens only for accounts that name a grant.
  const useStatic =
    data.staticCredentials !== undefined && (data.token === undefined || account.grant === undefined);
  const resolved = useStatic
    ? resolveStaticAccount(account, index)
    : resolveOAuthAccount(account, index, context);
  const shipping = resolveShipping(account, index);
  if (shipping !== undefined) resolved.shipping = shipping;
  if (account.secretExpiresAt !== undefined) resolved.secretExpiresAt = Date.parse(account.secretExpiresAt);
  if (account.tokenQuotaPerHour !== undefined) resolved.tokenQuotaPerHour = account.tokenQuotaPerHour;
  return resolved;
}

/**
 * The account's shipping settings, parsed by its carrier's adapter. A `shipping` block that does
 * not parse is a start-up error naming the field; an account with no block ships only when its
 * carrier needs no settings (the schema accepts `{}`).
 */
function resolveShipping(account: AccountConfig, index: number): AccountShipping | undefined {
  const adapter = CARRIERS[account.carrier].shipping;
  if (adapter === undefined) {
    if (account.shipping !== undefined)
      throw accountError(index, 'shipping', `${CARRIERS[account.carrier].data.name} has no label API here`);
    return undefined;
  }
  const parsed = adapter.settingsSchema.safeParse(account.shipping ?? {});
  if (parsed.success) return { adapter, settings: parsed.data };
  if (account.shipping === undefined) return undefined;
  const issue = parsed.error.issues[0]!;
  throw accountError(index, ['shipping', ...issue.path.map(String)].join('.'), issue.message);
}

/** Token parameters and headers are read-only once resolved, and most accounts have none. */
const NO_ENTRIES = Object.freeze({}) as Record<string, string>;
const sharedIfEmpty = (entries: Record<string, string>) =>
  Object.keys(entries).length === 0 ? NO_ENTRIES : entries;

/** A refresh URL derived from the token URL is a new string per account; equal ones share one. */
const derivedUrls = new Map<string, string>();
function sharedUrl(url: string): string {
  const known = derivedUrls.get(url);
  if (known !== undefined) return known;
  derivedUrls.set(url, url);
  return url;
}

/**
 * Accounts with one API base share its URL object, which nothing changes once resolved: a URL
 * per account cost about 240 bytes at 10,000 accounts (issue 11).
 */
const baseUrls = new Map<string, URL>();

function sharedBaseUrl(api: string): URL {
  let baseUrl = baseUrls.get(api);
  if (baseUrl === undefined) {
    baseUrl = new URL(api);
    if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
    baseUrls.set(api, baseUrl);
  }
  return baseUrl;
}

function apiSettings(account: AccountConfig, index: number, data: CarrierDescriptorData): AccountBase['api'] {
  const api = account.urls?.api ?? data.environments?.[account.environment].api;
  if (api === undefined) throw accountError(index, 'urls.api', `required for carrier ${account.carrier}`);
  return {
    baseUrl: sharedBaseUrl(api),
    timeoutMs: account.timeouts?.apiMs ?? 30_000,
    tokenRejectedStatuses: data.api.tokenRejectedStatuses,
    errorClasses: data.api.errorClasses ?? {},
  };
}

/** An account of a carrier with static credentials: the header and its value, checked at boot. */
export function resolveStaticAccount(account: AccountConfig, index: number): StaticAccount {
  const descriptor = CARRIERS[account.carrier];
  const placement = descriptor.data.staticCredentials;
  if (!placement)
    throw accountError(index, 'carrier', `${descriptor.data.name} uses tokens, not static credentials`);
  for (const key of ['grant', 'oauth2', 'refresh', 'token', 'authorization'] as const) {
    if (account[key] !== undefined)
      throw accountError(index, key, `${descriptor.data.name} has no token endpoint`);
  }
  if (
    account.urls?.token !== undefined ||
    account.urls?.refresh !== undefined ||
    account.urls?.authorize !== undefined
  ) {
    throw accountError(index, 'urls', `${descriptor.data.name} has no token endpoint: only urls.api applies`);
  }
  if (account.credentials.nextClientSecret !== undefined) {
    // Static credentials go with every API call: there is no token request to try a next one on.
    throw accountError(
      index,
      'credentials.nextClientSecret',
      `${descriptor.data.name} takes static credentials: change them and reload instead`,
    );
  }
  const secret = account.credentials[placement.secret];
  if (secret === undefined) {
    throw accountError(index, `credentials.${placement.secret}`, `required for ${descriptor.data.name}`);
  }
  let value = secret;
  if (placement.scheme === 'basic') {
    if (account.credentials.clientId.includes(':')) {
      throw accountError(
        index,
        'credentials.clientId',
        `must not contain ":" for ${descriptor.data.name} (HTTP Basic)`,
      );
    }
    value = `Basic ${Buffer.from(`${account.credentials.clientId}:${secret}`).toString('base64')}`;
  }
  return {
    kind: 'static',
    id: account.id,
    carrier: account.carrier,
    descriptor,
    credentials: account.credentials,
    api: apiSettings(account, index, descriptor.data),
    staticCredential: {
      header: placement.scheme === 'basic' ? 'authorization' : placement.header!.toLowerCase(),
      value,
    },
  };
}

/** An account of a carrier that issues tokens. */
export function resolveOAuthAccount(
  account: AccountConfig,
  index: number,
  context: ResolveContext = {},
): ResolvedAccount {
  const descriptor = CARRIERS[account.carrier];
  const data = descriptor.data;
  if (data.token === undefined || data.refresh === undefined) {
    throw accountError(index, 'carrier', `${data.name} uses static credentials, not tokens`);
  }
  const tokenData = data.token;
  const refreshData = data.refresh;
  const grant = account.grant ?? tokenData.defaultGrant;
  if (!tokenData.grants.includes(grant)) {
    throw accountError(index, 'grant', `${data.name} supports ${tokenData.grants.join(', ')}, not ${grant}`);
  }
  if (data.accountSettings?.oauth2Block !== true && account.oauth2 !== undefined) {
    throw accountError(index, 'oauth2', 'only accounts with carrier "oauth2" take an oauth2 block');
  }
  const profile = account.oauth2;
  const clientAuthentication = profile?.clientAuthentication ?? tokenData.clientAuthentication;

  const required = [...(tokenData.requiredCredentials[grant] ?? [])];
  if (clientAuthentication !== 'none' && !required.includes('clientSecret')) required.push('clientSecret');
  for (const field of required) {
    if (account.credentials[field] === undefined) {
      throw accountError(index, `credentials.${field}`, `required for ${data.name} with grant ${grant}`);
    }
  }
  if (account.credentials.nextClientSecret !== undefined) {
    if (clientAuthentication === 'none')
      throw accountError(index, 'credentials.nextClientSecret', 'this account sends no client secret');
    if (account.credentials.nextClientSecret === account.credentials.clientSecret)
      throw accountError(index, 'credentials.nextClientSecret', 'is the same as clientSecret');
  }
  if (
    clientAuthentication === 'client_secret_basic' &&
    tokenData.basicCredentialEncoding === 'raw' &&
    account.credentials.clientId.includes(':')
  ) {
    // RFC 7617 2: a user-id containing a colon cannot be sent in Basic without encoding.
    throw accountError(index, 'credentials.clientId', `must not contain ":" for ${data.name} (HTTP Basic)`);
  }
  const usesRefreshToken = grant === 'authorization_code';
  if (!usesRefreshToken && account.authorization !== undefined) {
    throw accountError(index, 'authorization', 'only for grant authorization_code');
  }

  const environment = data.environments?.[account.environment];
  const urls = {
    token: environment?.token,
    refresh: environment?.refresh,
    authorize: environment?.authorize,
    api: environment?.api,
    ...account.urls,
  };
  for (const key of data.accountSettings?.requiredUrls ?? []) {
    if (account.urls?.[key] === undefined)
      throw accountError(index, `urls.${key}`, `required for carrier ${account.carrier}`);
  }
  if (urls.token === undefined) {
    throw accountError(index, 'urls.token', `${data.name} documents no token endpoint: give the account's`);
  }
  const refreshUrl =
    account.urls?.refresh ??
    sharedUrl(deriveSiblingUrl(urls.token!, 'refresh', urls.refresh, data) ?? urls.token!);
  const authorization = usesRefreshToken
    ? resolveAuthorization(account, index, context, {
        data,
        authorizeUrl:
          account.urls?.authorize ?? deriveSiblingUrl(urls.token!, 'authorize', urls.authorize, data),
      })
    : undefined;
  if (usesRefreshToken && account.credentials.refreshToken === undefined && authorization === undefined) {
    // Without onboarding (no redirect URI) the only way in is a refresh token from the configuration.
    throw accountError(index, 'credentials.refreshToken', 'required for grant authorization_code');
  }

  const params: Record<string, string> = {
    ...pickCredentials(tokenData.credentialParams[grant] ?? {}, account.credentials),
    ...(profile?.extraParams ?? {}),
  };
  if (profile?.scope) params.scope = profile.scope;
  if (profile?.audience) params.audience = profile.audience;
  if (profile?.resource) params.resource = profile.resource;

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
    rotatesRefreshTokens: profile?.rotatesRefreshTokens ?? tokenData.rotatesRefreshTokens,
    clientAuthentication,
    bodyEncoding: profile?.bodyEncoding ?? tokenData.bodyEncoding,
    basicCredentialEncoding: tokenData.basicCredentialEncoding,
    params: sharedIfEmpty(params),
    headers: sharedIfEmpty({
      ...pickCredentials(tokenData.credentialHeaders, account.credentials),
      ...(profile?.extraHeaders ?? {}),
    }),
    errorBodyShape: tokenData.errorBodyShape,
    errorCodes: tokenData.errorCodes,
    refreshErrorCodes: tokenData.refreshErrorCodes,
    timeoutMs: account.timeouts?.tokenMs ?? 10_000,
  };
  if (tokenData.issuedAtUnit !== undefined) token.issuedAtUnit = tokenData.issuedAtUnit;
  if (tokenData.publicKeyField !== undefined) token.publicKeyField = tokenData.publicKeyField;
  if (profile?.introspectionUrl !== undefined) {
    // RFC 7662 2.1: the endpoint "MUST also require some form of authorization"; a public client
    // has no credential to present there.
    if (clientAuthentication === 'none') {
      throw accountError(
        index,
        'oauth2.introspectionUrl',
        'needs client authentication (RFC 7662 2.1): clientAuthentication is none',
      );
    }
    token.introspectionUrl = profile.introspectionUrl;
  }

  const api = apiSettings(account, index, data);
  const dependentTokens = (data.dependentTokens ?? []).map((dependent): DependentTokenProfile => {
    const body = dependent.configBlock === 'payment' ? account.payment : undefined;
    return {
      data: dependent,
      url: new URL(dependent.path.slice(1), api.baseUrl).toString(),
      ...(body !== undefined ? { body } : {}),
    };
  });

  return {
    kind: 'oauth',
    id: account.id,
    carrier: account.carrier,
    descriptor,
    credentials: account.credentials,
    token,
    jwt,
    dependentTokens,
    refresh: {
      marginMs: (account.refresh?.marginSeconds ?? refreshData.marginSeconds) * 1000,
      windowMs: (account.refresh?.windowSeconds ?? refreshData.windowSeconds) * 1000,
    },
    api,
    ...(authorization ? { authorization } : {}),
  };
}

/**
 * The onboarding profile of an authorization-code account, or undefined when it has no redirect
 * URI (neither `authorization.redirectUri` nor a top-level `publicUrl`): such an account runs on
 * the refresh token from its configuration alone.
 */
function resolveAuthorization(
  account: AccountConfig,
  index: number,
  context: ResolveContext,
  carrier: { data: CarrierDescriptorData; authorizeUrl: string | undefined },
): AuthorizationProfile | undefined {
  const settings = account.authorization;
  const flow = carrier.data.authorization;
  const publicUrl = context.publicUrl?.replace(/\/+$/, '');
  const redirectUri =
    settings?.redirectUri ?? (publicUrl === undefined ? undefined : publicUrl + OAUTH_CALLBACK_PATH);
  if (redirectUri === undefined) {
    if (settings === undefined) return undefined;
    throw accountError(index, 'authorization.redirectUri', 'required (or a top-level publicUrl)');
  }
  const parsed = new URL(redirectUri);
  // RFC 6749 3.1.2: an absolute URI without a fragment; and it must reach this gateway's callback.
  if (parsed.hash !== '' || !parsed.pathname.endsWith(OAUTH_CALLBACK_PATH)) {
    throw accountError(
      index,
      'authorization.redirectUri',
      `must end with ${OAUTH_CALLBACK_PATH} (the gateway's callback) and have no fragment`,
    );
  }
  if (flow === undefined) {
    throw accountError(index, 'grant', `${carrier.data.name} has no authorization-code flow`);
  }
  for (const key of carrier.data.accountSettings?.onboardingUrls ?? []) {
    if (account.urls?.[key] === undefined) {
      throw accountError(
        index,
        `urls.${key}`,
        `required for carrier ${account.carrier} with grant authorization_code`,
      );
    }
  }
  if (carrier.authorizeUrl === undefined) {
    throw accountError(index, 'urls.authorize', `required for ${carrier.data.name}`);
  }
  const params: Record<string, string> = {};
  if (account.oauth2?.resource !== undefined) params.resource = account.oauth2.resource;
  if (account.oauth2?.audience !== undefined) params.audience = account.oauth2.audience;
  const scope = settings?.scope ?? account.oauth2?.scope;
  const pkce = settings?.pkce ?? flow.pkceDefault;
  return {
    authorizeUrl: carrier.authorizeUrl,
    redirectUri,
    ...(scope !== undefined ? { scope } : {}),
    pkce,
    pkceClientIdOnly: pkce && flow.pkceClientAuthentication === 'client-id-only',
    params,
    codeExchangeErrors: flow.codeExchangeErrors,
  };
}
