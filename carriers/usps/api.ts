/**
 * @module carriers/usps/api
 * USPS APIs v3 hosts: apis.usps.com and the TEM test environment apis-tem.usps.com (note the
 * "s": api.usps.com answers v3 tokens with an empty 401, [USPS-I89]); OAuth at /oauth2/v3/token
 * (addresses.yaml `servers` and securitySchemes; [USPS-OAUTH]); authorize at /oauth2/v3/authorize
 * on the same hosts ([USPS-OAUTH] [USPS-README] 5.1).
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const USPS_ENVIRONMENTS = {
  sandbox: {
    token: 'https://apis-tem.usps.com/oauth2/v3/token',
    authorize: 'https://apis-tem.usps.com/oauth2/v3/authorize',
    api: 'https://apis-tem.usps.com',
  },
  production: {
    token: 'https://apis.usps.com/oauth2/v3/token',
    authorize: 'https://apis.usps.com/oauth2/v3/authorize',
    api: 'https://apis.usps.com',
  },
};

/**
 * The synthetic probe: addresses.yaml `GET /city-state` (operationId get-city-state) for ZIP Code
 * 10001, the facts' probe ([USPS-SPECS] 5.6; scope `addresses`). `freshIssuance: false`: the
 * default product gives OAuth, like Addresses, "a quota of 60 calls per hour" ([USPS-I30]), and
 * authorization-code accounts get a new refresh token on every refresh ([USPS-OAUTH] 5.4).
 */
export const USPS_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'GET',
  path: '/addresses/v3/city-state?ZIPCode=10001',
  okStatuses: [200],
  freshIssuance: false,
  // 60 Addresses calls an hour ([USPS-I30]): a probe every 5 minutes uses 12 of them.
  minIntervalSeconds: 300,
};

/**
 * What a client may send USPS itself (issue 12, point 7): `X-Idempotency-Key`, by which USPS
 * deduplicates labels, and `X-Payment-Authorization-Token`, which a client that obtained one
 * itself passes through when the account has no `payment` block (domestic-labels.yaml header
 * parameters). `X-Forwarded-For` (tracking.yaml) is forwarding information, never taken from a client.
 */
export const USPS_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: ['x-idempotency-key', 'x-payment-authorization-token'],
  sources: [
    '../shared/carrier-specs/usps/domestic-labels.yaml',
    '../shared/carrier-specs/usps/tracking.yaml',
  ],
};
