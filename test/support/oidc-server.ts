/**
 * @module test/support/oidc-server
 * A real authorization server for tests: `oidc-provider` v9 on a free loopback port, with
 *
 * - clients for `client_secret_basic` and `client_secret_post` (client credentials, RFC 6749 4.4)
 *   and a confidential authorization-code client that must use PKCE (RFC 7636; `pkce.required`);
 * - refresh-token rotation (`rotateRefreshToken: true`: every refresh returns a new refresh token
 *   and a reused one is refused, RFC 9700 4.14.2);
 * - JWT access tokens (RFC 9068) for one resource indicator (RFC 8707, `features.resourceIndicators`
 *   with `accessTokenFormat: 'jwt'`), signed with keys the test can rotate while it runs;
 * - interactions completed programmatically: `interactions.url` points at a route of this server
 *   that logs the test user in and grants consent (or denies it, once, on request) through
 *   `provider.interactionFinished`, the way a real login page would finish;
 * - a small protected API (`/api/...`) that accepts only valid access tokens for the resource.
 *
 * Also exports `Browser`, a cookie-keeping redirect follower that plays the operator's browser.
 * oidc-provider ships no TypeScript types, so the few members used are declared here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';

import { registerSecrets } from './log-capture.js';
import { closeServer } from './recording-server.js';

export interface OidcClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** The members of oidc-provider's Provider this helper uses (no @types/oidc-provider installed). */
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: GrantClass;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

interface GrantClass {
  new (init: { accountId: string; clientId: string }): GrantInstance;
  find(id: string): Promise<GrantInstance | undefined>;
}

interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

/** A variable, so TypeScript does not look for the package's (absent) declarations. */
const OIDC_PROVIDER_MODULE = 'oidc-provider';

async function loadProvider(): Promise<ProviderConstructor> {
  const module = (await import(OIDC_PROVIDER_MODULE)) as { default: ProviderConstructor };
  return module.default;
}

/**
 * Storage for one server, kept across provider instances (a key rotation builds a new provider
 * on the same issuer and must keep every grant, code and refresh token). Mirrors the semantics of
 * oidc-provider's own development adapter, including revocation of a whole grant, which it uses
 * when a rotated refresh token or a spent code is presented again.
 */
class TestStorage {
  readonly entries = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  readonly grants = new Map<string, Set<string>>();
  readonly uids = new Map<string, string>();

  get(key: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode']);

function adapterFor(storage: TestStorage) {
  return class TestAdapter {
    constructor(private readonly model: string) {}

    key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      storage.entries.set(key, { payload, expiresAt });
      if (this.model === 'Session' && typeof payload.uid === 'string') storage.uids.set(payload.uid, id);
      const grantId = payload.grantId;
      if (GRANTABLE.has(this.model) && typeof grantId === 'string') {
        const members = storage.grants.get(grantId) ?? new Set<string>();
        members.add(key);
        storage.grants.set(grantId, members);
      }
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      return storage.get(this.key(id));
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      const id = storage.uids.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(): Promise<undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const payload = storage.get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      storage.entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of storage.grants.get(grantId) ?? []) storage.entries.delete(key);
      storage.grants.delete(grantId);
    }
  };
}

async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

function publicPart(jwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty: kty!, n: n!, e: e!, kid: kid!, alg: alg!, use: use! };
}

export interface OidcServerOptions {
  /** Redirect URIs registered for the authorization-code client (RFC 6749 3.1.2.2). */
  redirectUris: string[];
  /** Access-token lifetime in seconds (default 300). */
  accessTokenTtlSeconds?: number;
}

export interface OidcServerStats {
  /** GET /jwks: how often verifiers fetched the key set. */
  jwksRequests: number;
  /** POST /token, any grant. */
  tokenRequests: number;
  /** Interactions completed (logins, consents, denials). */
  interactions: number;
  /** Calls to the protected API that were accepted / refused. */
  apiAccepted: number;
  apiRefused: number;
}

export interface OidcServer {
  url: string;
  issuer: string;
  /** The resource indicator (RFC 8707) whose access tokens are JWTs. */
  resource: string;
  /** The scope the resource server knows. */
  scope: string;
  authorizeUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  /** Base of the protected API. */
  apiUrl: string;
  clients: {
    basic: OidcClientCredentials;
    post: OidcClientCredentials;
    /** Authorization code + refresh token, client_secret_basic, PKCE required. */
    authCode: OidcClientCredentials;
  };
  /** The next interaction answers `error=access_denied` (RFC 6749 4.1.2.1) instead of consenting. */
  denyNextInteraction(): void;
  /** Signs new tokens with a new key, publishing it first in the JWKS next to the old one. */
  rotateSigningKey(): Promise<string>;
  /** The kid new tokens are signed with. */
  signingKid(): string;
  stats(): OidcServerStats;
  close(): Promise<void>;
}

const SCOPE = 'shipping';
const TEST_USER = 'shipper-0001';

export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  const Provider = await loadProvider();
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const resource = `${issuer}/api`;
  const suffix = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  const clients = {
    basic: { clientId: 'cc-basic', clientSecret: `cc-basic-secret-${suffix()}` },
    post: { clientId: 'cc-post', clientSecret: `cc-post-secret-${suffix()}` },
    authCode: { clientId: 'shipping-app', clientSecret: `shipping-app-secret-${suffix()}` },
  };
  registerSecrets(...Object.values(clients).map((client) => client.clientSecret));
  const ttl = options.accessTokenTtlSeconds ?? 300;
  const storage = new TestStorage();
  const keys: JWK[] = [await newSigningKey(`key-${suffix()}`)];
  const stats: OidcServerStats = {
    jwksRequests: 0,
    tokenRequests: 0,
    interactions: 0,
    apiAccepted: 0,
    apiRefused: 0,
  };
  let denyNext = false;
  const cookieKeys = [`cookie-key-${suffix()}`];

  const configuration = () => ({
    adapter: adapterFor(storage),
    jwks: { keys: keys.map((key) => ({ ...key })) },
    cookies: { keys: cookieKeys },
    clients: [
      {
        client_id: clients.basic.clientId,
        client_secret: clients.basic.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: clients.post.clientId,
        client_secret: clients.post.clientSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: clients.authCode.clientId,
        client_secret: clients.authCode.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Only an explicitly requested resource gets a JWT: the gateway must send `resource`.
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: SCOPE,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // RFC 7636 for every authorization request, confidential clients included (OAuth 2.1 4.1.1).
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // A refresh token for every authorization-code grant of a client allowed the refresh grant,
    // without OIDC's offline_access (this is plain OAuth 2.0).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: {
      url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      RefreshToken: 24 * 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 24 * 3600,
    },
  });

  let provider = new Provider(issuer, configuration());
  let handle = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    stats.interactions += 1;
    if (denyNext) {
      denyNext = false;
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: TEST_USER } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    // The consent prompt: grant what was asked for, as a consenting user would.
    const grant =
      (details.grantId !== undefined ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({
        accountId: details.session?.accountId ?? TEST_USER,
        clientId: String(details.params.client_id),
      });
    const missing = details.prompt.details;
    if (Array.isArray(missing.missingOIDCScope))
      grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    const resourceScopes = (missing.missingResourceScopes ?? {}) as Record<string, string[]>;
    for (const [indicator, scopes] of Object.entries(resourceScopes))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** RFC 6750: the resource server accepts only a valid JWT for its own audience. */
  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    try {
      if (match === null) throw new Error('no bearer token');
      const { payload, protectedHeader } = await jwtVerify(
        match[1]!,
        createLocalJWKSet({ keys: keys.map(publicPart) }),
        {
          issuer,
          audience: resource,
        },
      );
      stats.apiAccepted += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          path: req.url,
          sub: payload.sub,
          client_id: payload.client_id,
          scope: payload.scope,
          kid: protectedHeader.kid,
        }),
      );
    } catch {
      stats.apiRefused += 1;
      res.writeHead(401, {
        'www-authenticate': 'Bearer error="invalid_token"',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ error: 'invalid_token' }));
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/jwks') stats.jwksRequests += 1;
    if (path === '/token') stats.tokenRequests += 1;
    if (path.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${(error as Error).message}`);
      });
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      void api(req, res);
      return;
    }
    handle(req, res);
  });

  return {
    url: issuer,
    issuer,
    resource,
    scope: SCOPE,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
    apiUrl: `${issuer}/api`,
    clients,
    denyNextInteraction: () => {
      denyNext = true;
    },
    async rotateSigningKey() {
      // The new key first: oidc-provider signs with the first key matching the algorithm; the
      // old one stays published so tokens it signed keep verifying until they expire.
      keys.unshift(await newSigningKey(`key-${suffix()}`));
      provider = new Provider(issuer, configuration());
      handle = provider.callback();
      return keys[0]!.kid!;
    },
    signingKid: () => keys[0]!.kid!,
    stats: () => ({ ...stats }),
    close: () => closeServer(server),
  };
}

export interface BrowserStep {
  url: string;
  status: number;
}

/**
 * The operator's browser: follows redirects by hand, keeping cookies per origin (oidc-provider
 * ties an interaction to its cookies), and stops before requesting a URL `stop` accepts, so the
 * test decides how the callback reaches the gateway.
 */
export class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();
  readonly steps: BrowserStep[] = [];

  /**
   * Opens a gateway's one-time onboarding start link (`/v1/oauth/start?ticket=...`, what
   * `/v1/accounts/{id}/authorize` answers), keeping the cookie that binds the state to this
   * browser: the carrier's authorization URL it redirects to.
   */
  async openStartLink(link: string): Promise<URL> {
    const start = new URL(link);
    if (start.pathname !== '/v1/oauth/start') throw new Error(`not a start link: ${start.pathname}`);
    // Gateways in tests listen on 127.0.0.1; `localhost` may resolve to ::1 first.
    if (start.hostname === 'localhost') start.hostname = '127.0.0.1';
    return this.follow(start.toString(), (url) => url.pathname !== '/v1/oauth/start');
  }

  /** The Cookie header this browser sends to `url`'s origin (every cookie of it; paths are not modelled). */
  cookieHeader(url: URL | string): string {
    const jar = this.#cookies.get(new URL(url).origin) ?? new Map<string, string>();
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async follow(start: string, stop: (url: URL) => boolean, maxHops = 12): Promise<URL> {
    let url = new URL(start);
    for (let hop = 0; hop < maxHops; hop += 1) {
      if (stop(url)) return url;
      const jar = this.#cookies.get(url.origin) ?? new Map<string, string>();
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = line.split(';');
        const index = pair.indexOf('=');
        const name = pair.slice(0, index).trim();
        const expired = attributes.some(
          (attribute) => /^\s*expires=.*1970/i.test(attribute) || /^\s*max-age=0\b/i.test(attribute),
        );
        if (expired) jar.delete(name);
        else jar.set(name, pair.slice(index + 1).trim());
      }
      this.#cookies.set(url.origin, jar);
      this.steps.push({ url: url.toString(), status: response.status });
      const location = response.headers.get('location');
      await response.body?.cancel();
      if (response.status < 300 || response.status >= 400 || location === null) {
        throw new Error(
          `browser stopped at ${url.origin}${url.pathname}: HTTP ${response.status}, no redirect`,
        );
      }
      url = new URL(location, url);
    }
    throw new Error(`more than ${maxHops} redirects`);
  }
}
