/**
 * @module test/auth/manager/refresh-token-safety
 * Authorization-code accounts with rotating refresh tokens, against a scripted token endpoint
 * over real HTTP and a fake clock: a rejected refresh token marks the account
 * `reauthorization_required`, stops refreshing and keeps serving the still-valid access token
 * until it expires; a refresh whose outcome is unknown (timeout after sending) is not retried
 * with the same refresh token while the access token is alive.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { LocalRefreshLock } from '../../../src/auth/refresh-lock.js';
import { TokenManager } from '../../../src/auth/token-manager.js';
import { MemoryTokenStore } from '../../../src/auth/token-store.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { accountsFrom } from '../../support/engine.js';
import { eventually } from '../../support/eventually.js';
import { registerSecrets, testLogger } from '../../support/log-capture.js';
import {
  startRecordingServer,
  type RecordedResponse,
  type RecordingServer,
} from '../../support/recording-server.js';

const SEED = 'seed-refresh-token-0123456789';
const SECRET = 'refresh-safety-secret-0123456789';

function tokenBody(n: number, expiresIn = 100): RecordedResponse {
  return {
    status: 200,
    body: {
      access_token: `access-token-${n}-0123456789`,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: `refresh-token-${n}-0123456789`,
    },
  };
}

describe('refresh token safety', () => {
  let server: RecordingServer | undefined;
  afterEach(async () => server?.close());

  function manager(
    script: (index: number) => RecordedResponse | Promise<RecordedResponse>,
    clock: { now: number },
  ) {
    registerSecrets(SEED, SECRET);
    let calls = 0;
    return startRecordingServer(async () => script(calls++)).then((started) => {
      server = started;
      const [account] = accountsFrom(`
  - id: partner
    carrier: oauth2
    grant: authorization_code
    urls: { token: "${started.url}/token", api: "${started.url}" }
    credentials: { clientId: partner-client, clientSecret: "${SECRET}", refreshToken: "${SEED}" }
    refresh: { marginSeconds: 1, windowSeconds: 0 }
    timeouts: { tokenMs: 300 }
`);
      return new TokenManager(account!, {
        store: new MemoryTokenStore(() => clock.now),
        lock: new LocalRefreshLock(),
        log: testLogger('refresh-safety'),
        sharedStoreAvailable: () => false,
        now: () => clock.now,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 10 },
      });
    });
  }

  it('invalid_grant: reauthorization required, no more refreshes, the valid access token served until it expires', async () => {
    const clock = { now: 1_000_000 };
    const tokens = await manager(
      (index) => (index === 0 ? tokenBody(1) : { status: 400, body: { error: 'invalid_grant' } }),
      clock,
    );
    const first = await tokens.getToken();
    expect(first.accessToken).toBe('access-token-1-0123456789');
    expect(server!.requests[0]!.body).toContain(`refresh_token=${SEED}`);

    // Inside the refresh margin, still valid: served while a refresh runs behind and fails.
    clock.now += 99_500;
    expect((await tokens.getToken()).accessToken).toBe(first.accessToken);
    await eventually(() => server!.requests.length === 2);
    expect(server!.requests[1]!.body).toContain('refresh_token=refresh-token-1-0123456789');
    await eventually(async () => (await tokens.status()).state === 'reauthorization_required');

    // Still valid: served, and the carrier is not asked again.
    clock.now += 200;
    expect((await tokens.getToken()).accessToken).toBe(first.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server!.requests).toHaveLength(2);

    // Expired: a clear error, and still no request.
    clock.now += 1_000;
    const error = await tokens.getToken().catch((caught: unknown) => caught);
    expect(isGatewayError(error) && error.code).toBe('ERR_REAUTHORIZATION_REQUIRED');
    expect(server!.requests).toHaveLength(2);
    expect((await tokens.status()).reauthorizationReason).toMatch(/refresh token rejected/);
  });

  it('a refresh that timed out after sending is not retried with the same refresh token while the access token lives', async () => {
    const clock = { now: 2_000_000 };
    const tokens = await manager(async (index) => {
      if (index === 1) {
        // The carrier takes the refresh token and never answers in time.
        await new Promise((resolve) => setTimeout(resolve, 600));
        return tokenBody(99);
      }
      return tokenBody(index + 1);
    }, clock);
    const first = await tokens.getToken();

    clock.now += 99_500;
    expect((await tokens.getToken()).accessToken).toBe(first.accessToken);
    await eventually(() => server!.requests.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await tokens.status()).state).toBe('refresh_outcome_unknown');

    // Within the access token's life nothing presents refresh-token-1 again.
    clock.now += 100;
    expect((await tokens.getToken()).accessToken).toBe(first.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(server!.requests).toHaveLength(2);

    // Once the access token is dead there is nothing left to protect: one last-resort attempt.
    clock.now += 1_000;
    const recovered = await tokens.getToken();
    expect(server!.requests).toHaveLength(3);
    expect(server!.requests[2]!.body).toContain('refresh_token=refresh-token-1-0123456789');
    expect(recovered.accessToken).toBe('access-token-3-0123456789');
  });

  it('the seed refresh token is used once: later refreshes present the rotated one', async () => {
    const clock = { now: 3_000_000 };
    const tokens = await manager((index) => tokenBody(index + 1), clock);
    await tokens.getToken();
    for (let cycle = 0; cycle < 3; cycle += 1) {
      clock.now += 101_000;
      await tokens.getToken();
    }
    const presented = server!.requests.map((request) =>
      new URLSearchParams(request.body).get('refresh_token'),
    );
    expect(presented).toEqual([
      SEED,
      'refresh-token-1-0123456789',
      'refresh-token-2-0123456789',
      'refresh-token-3-0123456789',
    ]);
    expect(new Set(presented).size).toBe(presented.length);
  });
});
