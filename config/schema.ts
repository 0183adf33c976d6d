/**
 * @module config/schema
 * The gateway's configuration file, as zod schemas. Every object is strict: an unknown key is a
 * start-up error, because a misspelt key silently ignored is how a secret rotation or an
 * override goes unnoticed. Types for the rest of the code are inferred from here.
 */
import { isIP } from 'node:net';

import { z } from 'zod';

import { CARRIER_IDS } from '../carriers/index.js';
import type { Credentials } from '../src/core/account.js';
import { clientAuthSchema, forwardableHeaderSchema, grantSchema } from '../src/core/carrier.js';
import { redisSchema } from './redis-schema.js';

const id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'lower-case letters, digits, "-" or "_", starting with a letter or digit',
  );

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

const credentialsSchema = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  /**
   * A new secret generated at the carrier, tried before `clientSecret` until the carrier accepts
   * it (src/auth/secret-rotation.ts); promote it to `clientSecret` once the status says so.
   */
  nextClientSecret: z.string().min(1).optional(),
  /** UPS `x-merchant-id`: the 6-digit UPS account number (OAuthClientCredentials.yaml). */
  merchantId: z.string().min(1).optional(),
  /** FedEx child credentials for csp/client_pc grants (APIAuthorization-Resource.json). */
  childKey: z.string().min(1).optional(),
  childSecret: z.string().min(1).optional(),
  /** Seed refresh token for authorization-code accounts; the gateway keeps the rotated ones. */
  refreshToken: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
});
// The account model's credentials (src/core/account.ts) are exactly what this schema accepts.
credentialsSchema satisfies z.ZodType<Credentials>;

const refreshPolicySchema = z.strictObject({
  /** Never refresh later than this before expiry. */
  marginSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Proactive refreshes are spread uniformly over this window before the margin; 0 = only on demand. */
  windowSeconds: z.number().int().min(0).max(86_400).optional(),
});

const tokenChecksSchema = z.strictObject({
  expectedAudience: z.string().min(1).optional(),
  expectedScopes: z.array(z.string().min(1)).optional(),
  expectedIssuer: z.string().min(1).optional(),
  jwksUrl: httpUrl.optional(),
  /** SPKI PEM public key for RS256/ES256 verification when the carrier has no JWKS. */
  publicKey: z.string().min(1).optional(),
  clockToleranceSeconds: z.number().int().min(0).max(600).optional(),
});

/** The generic RFC 6749 client, configured by data only. */
const oauth2ProfileSchema = z.strictObject({
  clientAuthentication: clientAuthSchema.default('client_secret_basic'),
  bodyEncoding: z.enum(['form', 'json']).default('form'),
  scope: z.string().min(1).optional(),
  audience: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
  extraParams: z.record(z.string(), z.string()).default({}),
  extraHeaders: z.record(z.string(), z.string()).default({}),
  /** Whether the server issues a new refresh token on each refresh (RFC 6749 6, OAuth 2.1 4.3.1). */
  rotatesRefreshTokens: z.boolean().default(true),
  /**
   * The server's token introspection endpoint (RFC 7662 2), where it has one: the synthetic probe
   * asks it whether the access token in use is still active, which tells revocation apart from
   * expiry. The client authenticates to it as to the token endpoint (RFC 7662 2.1).
   */
  introspectionUrl: httpUrl.optional(),
});

/**
 * Onboarding of authorization-code accounts (RFC 6749 4.1): where the carrier sends the user
 * back, what to ask for, and whether to use PKCE (RFC 7636). The callback is served by the
 * gateway at `/v1/oauth/callback`, so the redirect URI's path must end there.
 */
const authorizationSchema = z.strictObject({
  /** Default: the top-level `publicUrl` + `/v1/oauth/callback`. Must be registered with the carrier. */
  redirectUri: httpUrl.optional(),
  /** Space-separated scopes for the authorization request (RFC 6749 3.3); default: `oauth2.scope`. */
  scope: z.string().min(1).optional(),
  /** PKCE S256 (RFC 7636); default per carrier: UPS and oauth2 on, USPS off (support UNVERIFIED). */
  pkce: z.boolean().optional(),
});

/**
 * USPS Payments `roles` ([USPS-PAY] Role + PaymentAccount): who pays (PAYER), whose label ranges
 * are used (LABEL_OWNER), and so on. The body of POST /payments/v3/payment-authorization.
 */
const paymentRoleSchema = z.strictObject({
  roleName: z.enum([
    'PAYER',
    'RATE_HOLDER',
    'LABEL_OWNER',
    'SHIPPER',
    'MAIL_OWNER',
    'PLATFORM',
    'RETURN_LABEL_PAYER',
    'RETURN_LABEL_RATE_HOLDER',
    'RETURN_LABEL_OWNER',
    'LABEL_PROVIDER',
  ]),
  CRID: z.string().min(1).max(18).optional(),
  MID: z
    .string()
    .regex(/^(\d{6}|\d{9})$/)
    .optional(),
  manifestMID: z
    .string()
    .regex(/^(\d{6}|\d{9})$/)
    .optional(),
  accountType: z.enum(['EPS', 'PERMIT', 'METER', 'OMAS']).optional(),
  accountNumber: z.string().min(1).optional(),
  permitNumber: z.string().min(1).optional(),
  permitZIP: z.string().max(5).optional(),
});
export type PaymentRole = z.infer<typeof paymentRoleSchema>;

const paymentSchema = z.strictObject({ roles: z.array(paymentRoleSchema).min(1) });

const accountSchema = z.strictObject({
  id,
  carrier: z.enum(CARRIER_IDS),
  environment: z.enum(['sandbox', 'production']).default('sandbox'),
  grant: grantSchema.optional(),
  urls: z
    .strictObject({
      token: httpUrl.optional(),
      refresh: httpUrl.optional(),
      api: httpUrl.optional(),
      /** The authorization endpoint (RFC 6749 3.1); required for oauth2 accounts onboarded by the gateway. */
      authorize: httpUrl.optional(),
    })
    .optional(),
  credentials: credentialsSchema,
  authorization: authorizationSchema.optional(),
  refresh: refreshPolicySchema.optional(),
  token: tokenChecksSchema.optional(),
  oauth2: oauth2ProfileSchema.optional(),
  /** Carriers whose label calls need a payment authorization (USPS): the roles it is asked for. */
  payment: paymentSchema.optional(),
  /** When the client secret expires (the carrier's console says): health warns 14 days ahead. */
  secretExpiresAt: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  /** Token requests the carrier allows per hour, where it limits them: health warns past 80 %. */
  tokenQuotaPerHour: z.number().int().positive().optional(),
  /**
   * What the carrier's label API needs for this account (shipper or billing numbers). Checked
   * against the carrier's own schema at boot (carriers/<carrier>/shipping.ts, `settingsSchema`).
   */
  shipping: z.record(z.string(), z.unknown()).optional(),
  /** What a client may send through the pass-through to this account (issue 12, point 3). */
  passThrough: z
    .strictObject({
      /** A larger request body is refused with 413 ERR_BODY_TOO_LARGE; default 10 MiB. */
      maxBodyBytes: z
        .number()
        .int()
        .min(1_024)
        .max(1024 * 1024 * 1024)
        .optional(),
      /**
       * Client headers forwarded to this account's API beyond the carrier's own allow-list
       * (carriers/<carrier>/api.ts `forwardedHeaders`): for a generic `oauth2` API whose headers
       * the gateway cannot know. Lower case; hop-by-hop, credential, forwarding and override
       * headers are refused.
       */
      forwardHeaders: z.array(forwardableHeaderSchema).optional(),
    })
    .optional(),
  timeouts: z
    .strictObject({
      tokenMs: z.number().int().min(100).max(120_000).optional(),
      apiMs: z.number().int().min(100).max(600_000).optional(),
    })
    .optional(),
});
export type AccountConfig = z.infer<typeof accountSchema>;

const clientSchema = z.strictObject({
  id,
  apiKey: z.string().min(16, 'at least 16 characters'),
  accounts: z.array(id).min(1),
});
export type ClientConfig = z.infer<typeof clientSchema>;

/** Operators: they start authorization-code onboarding. Their keys are never client keys. */
const adminSchema = z.strictObject({
  id,
  apiKey: z.string().min(16, 'at least 16 characters'),
});
export type AdminConfig = z.infer<typeof adminSchema>;

/**
 * 10 s of grace is two readiness-probe periods of 5 s; 60 s leaves the grace, a 30 s carrier call
 * (the default `timeouts.apiMs`) and a token request before it to finish.
 */
export const LOG_FLUSH_MS_DEFAULT = 100;

export const SHUTDOWN_DEFAULTS = { graceMs: 10_000, timeoutMs: 60_000 } as const;

export const configSchema = z
  .strictObject({
    listen: z
      .strictObject({
        port: z.number().int().min(0).max(65_535).default(8080),
        host: z.string().min(1).default('0.0.0.0'),
      })
      .default({ port: 8080, host: '0.0.0.0' }),
    /** The fleet's shared Redis (config/redis-schema.ts); absent = embedded single-instance mode. */
    redis: redisSchema.optional(),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /**
         * Log lines are written to standard output in batches, at most this long after they are
         * made (src/platform/log.ts `stdoutDestination`); 0 writes every line at once, at a cost
         * per request.
         */
        flushMs: z.number().int().min(0).max(1_000).default(LOG_FLUSH_MS_DEFAULT),
      })
      .default({ level: 'info', flushMs: LOG_FLUSH_MS_DEFAULT }),
    /**
     * How the process stops on SIGTERM (src/lifecycle/shutdown.ts): `/readyz` answers 503 at once
     * and requests are still served for `graceMs`, so a load balancer takes the instance out; then
     * the listener closes and the calls and shipments in flight finish. At `timeoutMs` after the
     * signal the process exits whatever is left (status 1, naming it). Leave room in `timeoutMs`
     * for `graceMs` plus the longest carrier call (`timeouts.apiMs`, 30 s by default).
     */
    shutdown: z
      .strictObject({
        graceMs: z.number().int().min(0).max(600_000).default(SHUTDOWN_DEFAULTS.graceMs),
        timeoutMs: z.number().int().min(1_000).max(3_600_000).default(SHUTDOWN_DEFAULTS.timeoutMs),
      })
      .refine((shutdown) => shutdown.timeoutMs > shutdown.graceMs, {
        path: ['timeoutMs'],
        message: 'must be greater than graceMs (the drain comes after the grace period)',
      })
      .default(SHUTDOWN_DEFAULTS),
    /** Auth circuit breakers of every account (src/breaker/auth-breaker.ts has the defaults). */
    breaker: z
      .strictObject({
        volumeThreshold: z.number().int().min(1).max(10_000).optional(),
        errorThresholdPercentage: z.number().min(0).max(100).optional(),
        consecutiveFailures: z.number().int().min(1).max(10_000).optional(),
        rollingCountTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
        resetTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
        trialLeaseMs: z.number().int().min(1_000).max(600_000).optional(),
      })
      .optional(),
    /**
     * When a carrier's refusal may cost a token request (src/upstream/rejection.ts): never for a
     * token younger than `youngTokenSeconds`, and at most one per account per
     * `rejectionRefreshIntervalSeconds` across the fleet.
     */
    auth: z
      .strictObject({
        youngTokenSeconds: z.number().int().min(0).max(3_600).default(30),
        rejectionRefreshIntervalSeconds: z.number().int().min(1).max(3_600).default(30),
      })
      .optional(),
    /**
     * `/metrics` names every account: with a `key`, it answers only `Authorization: Bearer <key>`
     * (what a Prometheus scrape config's `authorization` sends).
     */
    metrics: z.strictObject({ key: z.string().min(16, 'at least 16 characters') }).optional(),
    /**
     * Load balancers and proxies in front of the gateway (addresses or CIDR ranges): only from
     * these is `X-Forwarded-For` read, for the new-network alert (src/http/clients.ts).
     */
    trustedProxies: z
      .array(
        z.string().refine((entry) => {
          const [address, bits, ...rest] = entry.split('/');
          const family = isIP(address ?? '');
          if (family === 0 || rest.length > 0) return false;
          if (bits === undefined) return true;
          const n = Number(bits);
          return Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
        }, 'an IP address or a CIDR range'),
      )
      .optional(),
    /**
     * How long a client may take to send its request (node:http's own limits, made explicit so a
     * slow client cannot hold a connection: issue 12, point 3). Past them the answer is 408
     * ERR_REQUEST_TIMEOUT and the connection is closed.
     */
    server: z
      .strictObject({
        headersTimeoutMs: z.number().int().min(1_000).max(120_000).default(15_000),
        requestTimeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
      })
      .optional(),
    /**
     * What one client may hold of a carrier through the pass-through (issue 12, point 3): at most
     * `maxConcurrentCallsPerClient` calls in flight to one carrier origin (more: 429
     * ERR_CLIENT_CONCURRENCY with `Retry-After`), below the 64 connections an origin's pool has,
     * so one client's slow uploads cannot take them all; and a request body that sends nothing
     * for `bodyIdleTimeoutMs` is cut (408 ERR_REQUEST_TIMEOUT, the carrier call cancelled).
     */
    passThrough: z
      .strictObject({
        maxConcurrentCallsPerClient: z.number().int().min(1).max(63).default(48),
        bodyIdleTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      })
      .optional(),
    /** Synthetic probes of every account (src/probes/prober.ts). */
    probes: z
      .strictObject({
        enabled: z.boolean().default(true),
        intervalSeconds: z.number().int().min(5).max(3_600).default(60),
        /** Each run starts up to this much later, so instances and accounts do not probe in step. */
        jitterSeconds: z.number().int().min(0).max(600).default(10),
      })
      .optional(),
    /** `POST /v1/rates` (src/rates/): a cache of prices per account and shipment, off unless a TTL is set. */
    rates: z
      .strictObject({
        cacheTtlSeconds: z.number().int().min(0).max(86_400).default(0),
      })
      .optional(),
    /** Alert webhooks (src/alerts/alerter.ts). */
    alerts: z
      .strictObject({
        sinks: z
          .array(
            z.strictObject({
              kind: z.enum(['json', 'slack']),
              url: httpUrl,
            }),
          )
          .default([]),
        /** The same alert for the same account is sent once per this period (fleet-wide). */
        cooldownSeconds: z.number().int().min(0).max(86_400).default(900),
        expiryWarningDays: z.number().int().min(1).max(365).default(14),
        clockSkewThresholdMs: z.number().int().min(0).default(30_000),
        tokenQuotaThreshold: z.number().min(0).max(1).default(0.8),
        /** Where runbook links point (docs/runbooks/ in the repository by default). */
        runbookBaseUrl: httpUrl.optional(),
      })
      .optional(),
    /**
     * Shipment records (src/shipments/shipment-store.ts) and in-doubt resolution
     * (src/shipments/in-doubt-resolver.ts): records are kept `retentionDays`, their labels
     * `labelRetentionDays` (then `labelsExpired: true`); an unknown outcome is looked into every
     * `intervalSeconds`, at most `maxAttempts` times and for `maxMinutes`, then left to an operator.
     */
    shipments: z
      .strictObject({
        retentionDays: z.number().min(1).max(3_650).default(30),
        labelRetentionDays: z.number().min(0).max(3_650).default(7),
        resolution: z
          .strictObject({
            enabled: z.boolean().default(true),
            intervalSeconds: z.number().min(1).max(3_600).default(30),
            maxAttempts: z.number().int().min(1).max(100).default(5),
            maxMinutes: z.number().min(1).max(10_080).default(60),
          })
          .default({ enabled: true, intervalSeconds: 30, maxAttempts: 5, maxMinutes: 60 }),
      })
      .refine((shipments) => shipments.labelRetentionDays <= shipments.retentionDays, {
        path: ['labelRetentionDays'],
        message: 'must not exceed retentionDays (labels are part of the record)',
      })
      .optional(),
    /** The gateway's address as browsers reach it; the default redirect URI is this + /v1/oauth/callback. */
    publicUrl: httpUrl.optional(),
    admins: z.array(adminSchema).optional(),
    clients: z.array(clientSchema).min(1),
    accounts: z.array(accountSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const accountIds = new Set<string>();
    config.accounts.forEach((account, index) => {
      if (accountIds.has(account.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', index, 'id'],
          message: `duplicate account id "${account.id}"`,
        });
      }
      accountIds.add(account.id);
    });
    const clientIds = new Set<string>();
    config.clients.forEach((client, index) => {
      if (clientIds.has(client.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', index, 'id'],
          message: `duplicate client id "${client.id}"`,
        });
      }
      clientIds.add(client.id);
      client.accounts.forEach((accountId, accountIndex) => {
        if (!accountIds.has(accountId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', index, 'accounts', accountIndex],
            message: `unknown account "${accountId}"`,
          });
        }
      });
    });
    const adminIds = new Set<string>();
    const clientKeys = new Set(config.clients.map((client) => client.apiKey));
    (config.admins ?? []).forEach((admin, index) => {
      if (adminIds.has(admin.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['admins', index, 'id'],
          message: `duplicate admin id "${admin.id}"`,
        });
      }
      adminIds.add(admin.id);
      // A shipping app's key must never open the operators' endpoints, not even by configuration.
      if (clientKeys.has(admin.apiKey)) {
        ctx.addIssue({
          code: 'custom',
          path: ['admins', index, 'apiKey'],
          message: 'must differ from every client apiKey',
        });
      }
    });
  });

export type GatewayConfig = z.infer<typeof configSchema>;
