/**
 * @module core/carrier
 * The carrier descriptor contract: the shape every carrier folder fills in: its hosts, how its token endpoint authenticates the
 * client, how its errors map into the gateway's failure classes, and its refresh defaults.
 * Quirks live here as data (validated by zod at boot and in test/carriers/registry.test.ts);
 * code hooks are named only where data cannot describe the behaviour, and the hook names are
 * `keyof` the hook table so `tsc` checks they resolve.
 */
import { z } from 'zod';

import { FAILURE_CLASSES } from './failure-classes.js';
import type { RatesAdapter } from './rates-adapter.js';
import type { ShippingAdapter } from './shipping-adapter.js';
import type { TrackingAdapter } from './tracking-adapter.js';

export const GRANTS = [
  'client_credentials',
  'authorization_code',
  'password',
  // FedEx parent/child grants: APIAuthorization-Resource.json, grant_type enum.
  'csp_credentials',
  'client_pc_credentials',
] as const;
export const grantSchema = z.enum(GRANTS);
export type Grant = z.infer<typeof grantSchema>;

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export const clientAuthSchema = z.enum(CLIENT_AUTH_METHODS);
export type ClientAuthMethod = z.infer<typeof clientAuthSchema>;

/**
 * Failure classes at the token endpoint (the `token_endpoint.*` part of the taxonomy). Carrier
 * codes map into these; `src/auth/classify.ts` turns them into stable error codes.
 */
export const TOKEN_FAILURE_CLASSES = [
  'invalid_client',
  'invalid_grant',
  'invalid_scope',
  'unauthorized_client',
  'invalid_request',
  'throttled',
  'server_error',
] as const;
export const tokenFailureClassSchema = z.enum(TOKEN_FAILURE_CLASSES);
export type TokenFailureClass = z.infer<typeof tokenFailureClassSchema>;

/** Where a carrier puts the error code and message in a token or API error body. */
export const ERROR_BODY_SHAPES = ['ups-response-errors', 'errors-array', 'rfc6749'] as const;
export type ErrorBodyShape = (typeof ERROR_BODY_SHAPES)[number];

const environmentSchema = z.strictObject({
  /** Absent for carriers with static credentials (no token endpoint). */
  token: z.url().optional(),
  /** Separate refresh endpoint, where the carrier has one (UPS `/v1/oauth/refresh`). */
  refresh: z.url().optional(),
  /** The authorization endpoint (RFC 6749 3.1), for carriers with the authorization-code grant. */
  authorize: z.url().optional(),
  api: z.url(),
});

/** What a carrier's refusal of an authorization code at the token endpoint means (RFC 6749 4.1.3, 5.2). */
export const CODE_EXCHANGE_OUTCOMES = ['code_rejected', 'redirect_uri_mismatch'] as const;

/**
 * The authorization-code flow as the carrier runs it: whether it verifies PKCE (RFC 7636), what
 * its token endpoint wants alongside a `code_verifier`, and how it says "this code is no good".
 */
const authorizationSchema = z.strictObject({
  /** `supported`: documented by the carrier; `unverified`: no source either way, off unless the account opts in. */
  pkce: z.enum(['supported', 'unverified']),
  /** Whether PKCE is used when the account does not say (`authorization.pkce`). */
  pkceDefault: z.boolean(),
  /**
   * The code exchange with a `code_verifier`: `client-id-only` drops client authentication and
   * sends `client_id` in the body (UPS, OAuthAuthCode.yaml); `as-configured` keeps it (RFC 7636 4.5).
   */
  pkceClientAuthentication: z.enum(['client-id-only', 'as-configured']),
  /** Carrier error code (or RFC 6749 `error`) at the code exchange → what it means for the code. */
  codeExchangeErrors: z.record(
    z.string(),
    z.strictObject({
      outcome: z.enum(CODE_EXCHANGE_OUTCOMES),
      /** For operators, when the carrier uses the code for more than one cause. */
      note: z.string().min(1).optional(),
    }),
  ),
});

const credentialField = z.enum([
  'clientId',
  'clientSecret',
  'merchantId',
  'childKey',
  'childSecret',
  'username',
  'password',
]);

/**
 * A second token some API paths need beside the access token (USPS labels: the payment
 * authorization token). It is obtained from the carrier API with the account's current access
 * token, from a block of the account's configuration, and cached, shared and refreshed by the
 * engine like any token (src/auth/dependent-token.ts).
 */
export const dependentTokenSchema = z.strictObject({
  /** Short name: status output and the store key suffix. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** The account configuration block that is the request body (config/schema.ts `payment`). */
  configBlock: z.literal('payment'),
  /** POST, relative to the account's API base. */
  path: z.string().startsWith('/'),
  /** The response body field holding the token. */
  responseField: z.string().min(1),
  /** The request header carrying it to the API. */
  header: z.string().regex(/^[A-Za-z0-9-]+$/),
  /** API paths (relative to the API base) that need it. */
  pathPrefixes: z.array(z.string().startsWith('/')).min(1),
  /** Documented lifetime; a JWT's `exp`, when earlier, wins. */
  lifetimeSeconds: z.number().int().positive(),
  /** Refresh this long before expiry at the latest (scaled down for short tokens, as for access tokens). */
  marginSeconds: z.number().int().min(0),
  windowSeconds: z.number().int().min(0),
  /**
   * How the API says "this token, not the access token, was rejected": one of `statuses` without
   * a `WWW-Authenticate` challenge of scheme `notChallenge` (the access token's rejection carries one).
   */
  rejection: z.strictObject({
    statuses: z.array(z.number().int().min(400).max(499)).min(1),
    notChallenge: z.string().min(1),
  }),
});
export type DependentTokenData = z.infer<typeof dependentTokenSchema>;

/**
 * Client headers the pass-through forwards to every carrier (issue 12, point 7): the
 * representation and content-negotiation fields of RFC 9110 (8.3 Content-Type, 8.4
 * Content-Encoding, 8.6 Content-Length, 12.5.1 Accept, 12.5.4 Accept-Language), and the
 * caller's `tracestate`, which travels with the `traceparent` the gateway writes (W3C Trace
 * Context 3.3). Anything else a client sends reaches the carrier only when its descriptor's
 * `forwardedHeaders` names it.
 */
export const HEADERS_EVERY_CARRIER_TAKES = [
  'accept',
  'accept-language',
  'content-type',
  'content-encoding',
  'content-length',
  'tracestate',
] as const;

/**
 * Headers no carrier's allow-list may name: hop-by-hop fields (RFC 9110 7.6.1), the client's own
 * gateway credential and cookies, the Host, forwarding information (forged in the gateway's name,
 * RFC 7239), and what would make a server in front of the carrier act on another method or path
 * than the one the gateway checked. Credentials the gateway injects itself are kept out by each
 * list not naming them.
 */
export const NEVER_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'cookie',
  'expect',
  'forwarded',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'cf-connecting-ip',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-url',
  'x-rewrite-url',
  'traceparent',
]);

/** A lower-case header name (RFC 9110 5.1 token) that may cross the gateway. */
export const forwardableHeaderSchema = z
  .string()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'a header name in lower case')
  .refine((name) => !NEVER_FORWARDED.has(name) && !name.startsWith('x-forwarded-'), {
    message: 'never forwarded from a client (hop-by-hop, credential, forwarding or override header)',
  });

export const descriptorDataSchema = z
  .strictObject({
    id: z.string().min(1),
    name: z.string().min(1),
    /** Sandbox and production as separate named hosts; absent for the generic OAuth 2.0 adapter. */
    environments: z.strictObject({ sandbox: environmentSchema, production: environmentSchema }).optional(),
    /** The OAuth token endpoint; absent for carriers with static credentials. */
    token: z
      .strictObject({
        clientAuthentication: clientAuthSchema,
        bodyEncoding: z.enum(['form', 'json']),
        /**
         * How id and secret go into HTTP Basic: form-urlencoded first (RFC 6749 2.3.1) or as they are
         * (RFC 7617), for carriers that document plain "id as username, secret as password".
         */
        basicCredentialEncoding: z.enum(['form-urlencoded', 'raw']),
        grants: z.array(grantSchema).min(1),
        defaultGrant: grantSchema,
        /** Credential fields each grant needs beyond clientId. */
        requiredCredentials: z.partialRecord(grantSchema, z.array(credentialField)),
        /** Header name → credential field, sent only when that credential is configured. */
        credentialHeaders: z.record(z.string(), credentialField),
        /** Grant → (body parameter → credential field). */
        credentialParams: z.partialRecord(grantSchema, z.record(z.string(), credentialField)),
        rotatesRefreshTokens: z.boolean(),
        /**
         * A response field carrying the PEM (or base64 of it) that verifies the JWT access token,
         * where the carrier sends one (USPS `public_key`). A configured key or JWKS takes precedence.
         */
        publicKeyField: z.string().min(1).optional(),
        /** Unit of `issued_at`, when the carrier sends one. */
        issuedAtUnit: z.enum(['ms', 's']).optional(),
        errorBodyShape: z.enum(ERROR_BODY_SHAPES),
        /** Carrier error code (or RFC 6749 `error`) → failure class. */
        errorCodes: z.record(z.string(), tokenFailureClassSchema),
        /** Overrides for the refresh grant, where a code means something else there (UPS 10400). */
        refreshErrorCodes: z.record(z.string(), tokenFailureClassSchema),
      })
      .optional(),
    /**
     * Credentials sent as they are on every call (API keys, HTTP Basic), for carriers without a
     * token endpoint. The engine serves them through the same interface as tokens.
     */
    staticCredentials: z
      .strictObject({
        /** `basic`: Authorization: Basic base64(clientId:secret); `header`: the secret in `header`. */
        scheme: z.enum(['basic', 'header']),
        header: z.string().min(1).optional(),
        /** The credential field holding the key or the Basic password. */
        secret: credentialField,
      })
      .optional(),
    /** Present exactly when `token.grants` has `authorization_code`. */
    authorization: authorizationSchema.optional(),
    api: z.strictObject({
      /** Statuses with which the carrier API says "this token is not (or no longer) accepted". */
      tokenRejectedStatuses: z.array(z.number().int().min(400).max(499)).min(1),
      errorBodyShape: z.enum(ERROR_BODY_SHAPES),
      /** The carrier's own API error codes → failure classes (src/core/failures.ts), each with its source. */
      errorClasses: z.record(z.string(), z.enum(FAILURE_CLASSES)).optional(),
    }),
    /**
     * The synthetic probe's protected call: the carrier's cheapest authenticated endpoint
     * (src/probes/prober.ts). `freshIssuance: false` where a fresh token would disturb the shared
     * one (single active token per client, rotating refresh tokens, tight token quotas): the
     * probe then validates the shared token instead of asking for a new one.
     */
    probe: z
      .strictObject({
        method: z.enum(['GET', 'POST']),
        /** Relative to the account's API base, leading slash, query allowed. */
        path: z.string().startsWith('/'),
        headers: z.record(z.string(), z.string()).optional(),
        /** JSON body for POST. */
        body: z.unknown().optional(),
        /** Statuses that mean "authenticated and answered" (a 4xx about the probe's data still proves auth). */
        okStatuses: z.array(z.number().int().min(200).max(499)).min(1),
        freshIssuance: z.boolean(),
        /** Never probe more often than this, whatever `probes.intervalSeconds` says (carrier quotas). */
        minIntervalSeconds: z.number().int().positive().optional(),
      })
      .optional(),
    /**
     * The carrier's own request headers a client may send through the pass-through, on top of
     * HEADERS_EVERY_CARRIER_TAKES (issue 12, point 7): an allow-list, each list citing the spec that
     * documents its headers. Credentials the gateway injects (API keys, the payment token where
     * the gateway holds it) are not named here unless the carrier documents a client supplying them.
     */
    forwardedHeaders: z.strictObject({
      names: z.array(forwardableHeaderSchema).refine((names) => new Set(names).size === names.length, {
        message: 'each header once',
      }),
      sources: z.array(z.string().min(1)).min(1),
    }),
    /** Further tokens some API paths need, obtained with the access token (token carriers only). */
    dependentTokens: z.array(dependentTokenSchema).optional(),
    refresh: z
      .strictObject({
        marginSeconds: z.number().int().min(0),
        windowSeconds: z.number().int().min(0),
      })
      .optional(),
    /**
     * What an account of this carrier must say itself because the carrier has no published hosts
     * (the generic OAuth 2.0 adapter): the URLs it must name, those it must also name to be
     * onboarded with the authorization-code flow, and whether it takes an `oauth2:` block (the
     * token endpoint's behaviour as account data).
     */
    accountSettings: z
      .strictObject({
        requiredUrls: z.array(z.enum(['token', 'api'])),
        onboardingUrls: z.array(z.enum(['authorize'])),
        oauth2Block: z.boolean(),
      })
      .optional(),
    /** Where each quirk above comes from (spec files in ../shared/carrier-specs, doc pages). */
    sources: z.array(z.string().min(1)).min(1),
  })
  .superRefine((data, ctx) => {
    // A carrier may offer both (La Poste: keys by default, tokens for accounts that name a grant).
    if (data.token === undefined && data.staticCredentials === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'at least one of token and staticCredentials',
      });
    }
    if (data.token !== undefined && data.refresh === undefined) {
      ctx.addIssue({ code: 'custom', path: ['refresh'], message: 'required with a token endpoint' });
    }
    const authorizationCode = data.token?.grants.includes('authorization_code') ?? false;
    if (authorizationCode !== (data.authorization !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['authorization'],
        message: 'required exactly when token.grants has authorization_code',
      });
    }
    if (authorizationCode && data.environments !== undefined) {
      for (const name of ['sandbox', 'production'] as const) {
        // Hosts without a documented token endpoint leave every OAuth URL to the account.
        if (data.environments[name].token !== undefined && data.environments[name].authorize === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['environments', name, 'authorize'],
            message: 'required with the authorization_code grant',
          });
        }
      }
    }
    if (data.dependentTokens !== undefined && data.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['dependentTokens'], message: 'only with a token endpoint' });
    }
    if (data.staticCredentials?.scheme === 'header' && data.staticCredentials.header === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['staticCredentials', 'header'],
        message: 'required with scheme header',
      });
    }
  });

export type CarrierDescriptorData = z.infer<typeof descriptorDataSchema>;
export type TokenEndpointData = NonNullable<CarrierDescriptorData['token']>;
export type AuthorizationData = NonNullable<CarrierDescriptorData['authorization']>;
export type CodeExchangeOutcome = (typeof CODE_EXCHANGE_OUTCOMES)[number];

/** Per-request header hooks: data cannot say "a fresh UUID per call". */
export interface ApiRequestContext {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface CarrierDescriptor {
  data: CarrierDescriptorData;
  /** The carrier's token success body on the wire (field types as the carrier sends them); token carriers only. */
  tokenResponseSchema?: z.ZodType<Record<string, unknown>>;
  /** Adjusts per-request headers: adds what the carrier requires (UPS `transId`), drops what it refuses alongside ours (DHL `dhl-api-key`). */
  decorateApiRequest?: (request: ApiRequestContext) => void;
  /** The carrier's label API for `POST /v1/shipments` (carriers/<carrier>/shipping.ts). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each carrier has its own settings type
  shipping?: ShippingAdapter<any>;
  /** The carrier's rate API for `POST /v1/rates` (carriers/<carrier>/rates.ts). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shipping adapter's settings type
  rates?: RatesAdapter<any>;
  /** The carrier's tracking API for `/v1/tracking` (carriers/<carrier>/tracking.ts). */
  tracking?: TrackingAdapter;
  /** Without `tracking`: why the carrier cannot track here (what its saved specs cover), for the 422's detail. */
  trackingUnsupported?: string;
}
