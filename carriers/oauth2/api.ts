/**
 * @module carriers/oauth2/api
 * The generic adapter has no hosts of its own: every account names its token URL and API base,
 * and, when the gateway onboards it with the authorization-code flow, its authorization endpoint.
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const OAUTH2_ACCOUNT_SETTINGS: NonNullable<CarrierDescriptorData['accountSettings']> = {
  requiredUrls: ['token', 'api'],
  /** On top of the above, for an account onboarded through `/v1/accounts/{id}/authorize`. */
  onboardingUrls: ['authorize'],
  oauth2Block: true,
};

/**
 * The synthetic probe: a Bearer-protected GET (RFC 6750) at `/api/resource` below the account's
 * API base, the resource carriers/oauth2/simulator.ts serves. A generic server has no documented
 * cheap endpoint, so this holds for the simulator and servers laid out like it. `freshIssuance:
 * true`: RFC 6749 4.4 client-credentials tokens do not replace one another; accounts with the
 * authorization-code grant (rotating refresh tokens) or a `tokenQuotaPerHour` validate the shared
 * token instead (src/probes/token.ts).
 */
export const OAUTH2_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'GET',
  path: '/api/resource',
  okStatuses: [200],
  freshIssuance: true,
};

/**
 * What a client may send a generic OAuth 2.0 API (issue 12, point 7): no API of its own is
 * documented, so only the representation headers every carrier takes (RFC 9110, see
 * HEADERS_EVERY_CARRIER_TAKES in src/core/carrier.ts): the conservative default.
 */
export const OAUTH2_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: [],
  sources: ['RFC 9110 8.3, 8.4, 8.6, 12.5.1, 12.5.4 (representation headers only)'],
};
