/**
 * @module test/auth/manager/token-lifecycle.property
 * Property-based test of one account's token lifecycle. fast-check generates sequences of
 * clock steps, token requests, carrier rejections and token-endpoint behaviours; after every
 * step the manager must keep its promises: it never hands out an expired or rejected token,
 * generations never go back, a fresh token costs no request, a refresh makes at most the
 * bounded number of attempts, nothing is sent during a cooldown, each failure carries the code
 * of its cause, and a healthy endpoint outside a cooldown always yields a token.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LocalRefreshLock } from '../../../src/auth/refresh-lock.js';
import { TokenManager } from '../../../src/auth/token-manager.js';
import { MemoryTokenStore, type StoredToken } from '../../../src/auth/token-store.js';
import { isGatewayError, type GatewayErrorCode } from '../../../src/core/errors.js';
import { accountsFrom } from '../../support/engine.js';
import { testLogger } from '../../support/log-capture.js';
import {
  startRecordingServer,
  type RecordedResponse,
  type RecordingServer,
} from '../../support/recording-server.js';

type Mode = 'ok' | 'invalid_client' | 'throttled' | 'server_error' | 'error_in_200' | 'malformed';

const CODE_BY_MODE: Record<Exclude<Mode, 'ok'>, GatewayErrorCode> = {
  invalid_client: 'ERR_TOKEN_INVALID_CLIENT',
  throttled: 'ERR_TOKEN_ENDPOINT_THROTTLED',
  server_error: 'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
  error_in_200: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
  malformed: 'ERR_TOKEN_MALFORMED_RESPONSE',
};

const LIFETIME_MS = 100_000;
const MARGIN_MS = 1_000;
const MAX_ATTEMPTS = 3;

type Command =
  { kind: 'advance'; ms: number } | { kind: 'get' } | { kind: 'reject' } | { kind: 'mode'; mode: Mode };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'get' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reject' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mode' as const),
      mode: fc.constantFrom<Mode>(
        'ok',
        'ok',
        'invalid_client',
        'throttled',
        'server_error',
        'error_in_200',
        'malformed',
      ),
    }),
  },
);

describe('token lifecycle (property)', () => {
  let server: RecordingServer;
  let mode: Mode = 'ok';
  let issued = 0;

  beforeAll(async () => {
    server = await startRecordingServer((): RecordedResponse => {
      switch (mode) {
        case 'ok':
          issued += 1;
          return {
            status: 200,
            body: {
              access_token: `lifecycle-token-${issued}`,
              token_type: 'Bearer',
              expires_in: LIFETIME_MS / 1000,
            },
          };
        case 'invalid_client':
          return { status: 401, body: { error: 'invalid_client' } };
        case 'throttled':
          return {
            status: 429,
            body: { error: 'invalid_request', error_description: 'SpikeArrestViolation' },
          };
        case 'server_error':
          return { status: 503, body: { error: 'temporarily_unavailable' } };
        case 'error_in_200':
          return { status: 200, body: { error: 'invalid_client' } };
        case 'malformed':
          return {
            status: 200,
            body: { access_token: 'lifecycle-malformed', token_type: 'mac', expires_in: 100 },
          };
      }
    });
  });

  afterAll(async () => server.close());

  it('keeps its promises under any sequence of steps', async () => {
    const [account] = accountsFrom(`
  - id: lifecycle
    carrier: oauth2
    urls: { token: "${server.url}/token", api: "${server.url}" }
    credentials: { clientId: lifecycle-client, clientSecret: lifecycle-secret-0123456789 }
    refresh: { marginSeconds: ${MARGIN_MS / 1000}, windowSeconds: 0 }
`);
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 25 }), async (commands) => {
        mode = 'ok';
        const clock = { now: 1_700_000_000_000 };
        const manager = new TokenManager(account!, {
          store: new MemoryTokenStore(() => clock.now),
          lock: new LocalRefreshLock(),
          log: testLogger('lifecycle'),
          sharedStoreAvailable: () => false,
          now: () => clock.now,
          retry: { maxAttempts: MAX_ATTEMPTS, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 0 },
          cooldown: { baseMs: 5_000, maxMs: 40_000 },
        });
        const rejected = new Set<string>();
        const failureModes = new Set<Mode>();
        let lastGeneration = 0;
        let held: StoredToken | undefined;

        for (const command of commands) {
          if (command.kind === 'advance') {
            clock.now += command.ms;
          } else if (command.kind === 'mode') {
            mode = command.mode;
          } else if (command.kind === 'reject') {
            if (held && held.expiresAt > clock.now) {
              // The refresh this triggers meets the current mode too; its failure can start the
              // cooldown a later get reports.
              if (mode !== 'ok') failureModes.add(mode);
              rejected.add(held.accessToken);
              await manager.invalidate(held.accessToken).catch(() => {});
              await manager.whenIdle();
            }
          } else {
            const status = await manager.status();
            const cooling = status.cooldownUntil !== null && Date.parse(status.cooldownUntil) > clock.now;
            const fresh = manager.peek();
            const before = server.requests.length;
            if (mode !== 'ok') failureModes.add(mode);
            const outcome = await manager.getToken().then(
              (token) => ({ token }),
              (error: unknown) => ({ error }),
            );
            await manager.whenIdle();
            const sent = server.requests.length - before;

            expect(sent).toBeLessThanOrEqual(MAX_ATTEMPTS);
            if (fresh) expect(sent).toBe(0);
            if (cooling) expect(sent).toBe(0);
            if ('token' in outcome) {
              const token = outcome.token;
              expect(token.expiresAt).toBeGreaterThan(clock.now);
              expect(rejected.has(token.accessToken)).toBe(false);
              expect(token.generation).toBeGreaterThanOrEqual(lastGeneration);
              lastGeneration = token.generation;
              held = token;
            } else {
              expect(isGatewayError(outcome.error)).toBe(true);
              const code = isGatewayError(outcome.error) ? outcome.error.code : 'ERR_INTERNAL';
              // A healthy endpoint outside a cooldown never fails.
              if (mode === 'ok') expect(cooling).toBe(true);
              expect(
                [...failureModes].map((failed) => CODE_BY_MODE[failed as Exclude<Mode, 'ok'>]),
              ).toContain(code);
            }
          }
        }
        manager.stop();
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
