/**
 * @module carriers/ups/api
 * UPS hosts and the per-request headers its business APIs expect.
 */
import { randomUUID } from 'node:crypto';

import type { ApiRequestContext } from '../descriptor.js';

/**
 * Security paths have no `/api` prefix, business APIs do ([UPS-CC], [UPS-I26] in
 * ../shared/carrier-auth-facts.md; servers in OAuthClientCredentials.yaml and Tracking.yaml).
 * `/authorize` sits next to `/token` and `/refresh` on the same hosts (OAuthAuthCode.yaml, [UPS-AC]).
 */
export const UPS_ENVIRONMENTS = {
  sandbox: {
    token: 'https://wwwcie.ups.com/security/v1/oauth/token',
    refresh: 'https://wwwcie.ups.com/security/v1/oauth/refresh',
    authorize: 'https://wwwcie.ups.com/security/v1/oauth/authorize',
    api: 'https://wwwcie.ups.com',
  },
  production: {
    token: 'https://onlinetools.ups.com/security/v1/oauth/token',
    refresh: 'https://onlinetools.ups.com/security/v1/oauth/refresh',
    authorize: 'https://onlinetools.ups.com/security/v1/oauth/authorize',
    api: 'https://onlinetools.ups.com',
  },
};

/**
 * Tracking requires `transId` (unique per request, maxLength 32) and `transactionSrc`
 * (Tracking.yaml, /track/v1/details/{inquiryNumber} parameters); Rating and Shipping accept them.
 */
export function decorateUpsRequest(request: ApiRequestContext): void {
  if (!request.headers['transid']) request.headers['transid'] = randomUUID().replaceAll('-', '');
  if (!request.headers['transactionsrc']) request.headers['transactionsrc'] = 'carrier-gateway';
}
