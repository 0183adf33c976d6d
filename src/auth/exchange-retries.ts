/**
 * @module auth/exchange-retries
 * The carrier call of one refresh: the token request sent with the secret the rotation says
 * (src/auth/secret-rotation.ts), retried within the bounds of the retry policy
 * (src/auth/retry.ts) and counted against the account's hourly token requests each time it is
 * sent. A dependent token brings its own exchange and goes through the same retries.
 */
import type { ResolvedAccount } from '../core/account.js';
import { isGatewayError } from '../core/errors.js';
import type { EngineGrantInput, ManagerParts } from './manager-parts.js';
import { decideRetry, DEFAULT_RETRY_POLICY } from './retry.js';
import type { SecretPair } from './secret-rotation.js';
import { exchangeToken } from './token-client.js';
import type { AcceptedToken } from './token-response.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Read at each request: a configuration reload replaces the account's credentials in place. */
export function configuredSecrets(account: ResolvedAccount): SecretPair {
  const { clientSecret, nextClientSecret } = account.credentials;
  return { current: clientSecret, next: nextClientSecret };
}

export async function exchangeWithRetries(
  parts: Pick<ManagerParts, 'account' | 'options' | 'now' | 'random' | 'rotation'>,
  grant: EngineGrantInput,
): Promise<AcceptedToken> {
  const { account, options, now, rotation } = parts;
  const { store, log } = options;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  for (let attempt = 1; ; attempt += 1) {
    await store.countTokenRequest(account.id, now()).catch(() => {});
    try {
      if (options.exchange) return await options.exchange();
      return await rotation.exchange(
        configuredSecrets(account),
        now,
        (clientSecret) => exchangeToken(account, grant, { now, ...options.transport, clientSecret }),
        () => {
          log.warn(
            { account: account.id },
            'carrier rejected the next client secret; the current one is used in the same request',
          );
          void store.countTokenRequest(account.id, now()).catch(() => {});
        },
      );
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      const decision = decideRetry(error, grant.kind, attempt, policy, parts.random);
      log.warn(
        {
          account: account.id,
          attempt,
          code: error.code,
          carrierCode: error.carrierCode,
          upstreamStatus: error.upstreamStatus,
          retry: decision.retry,
          reason: decision.reason,
          waitMs: decision.waitMs,
        },
        'token request failed',
      );
      if (!decision.retry) throw error;
      await sleep(decision.waitMs);
    }
  }
}
