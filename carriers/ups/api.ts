/**
 * @module carriers/ups/api
 * UPS hosts and the per-request headers its business APIs expect.
 */
import { randomUUID } from 'node:crypto';

import type { ApiRequestContext, CarrierDescriptorData } from '../../src/core/carrier.js';

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

/**
 * The synthetic probe (src/probes/prober.ts): Address Validation with request option 1
 * (validation only), AddressValidation.yaml `POST /addressvalidation/{version}/{requestoption}`
 * (operationId AddressValidation, version v2), with the spec's own example address: in CIE,
 * street-level validation answers only for NY and CA addresses ([UPS-XAV] facts 1.6).
 * `freshIssuance: false`: UPS staff suspect token churn behind unexplained 429s ([UPS-I8],
 * [UPS-I123]), a limit of ~250 token requests a day is reported (UNVERIFIED, facts 1.5), and
 * authorization-code accounts rotate single-use refresh tokens ([UPS-I90]).
 */
export const UPS_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'POST',
  path: '/api/addressvalidation/v2/1',
  headers: { 'content-type': 'application/json' },
  body: {
    XAVRequest: {
      AddressKeyFormat: {
        AddressLine: ['26601 ALISO CREEK ROAD'],
        PoliticalDivision2: 'ALISO VIEJO',
        PoliticalDivision1: 'CA',
        PostcodePrimaryLow: '92656',
        CountryCode: 'US',
      },
    },
  },
  okStatuses: [200],
  freshIssuance: false,
};

/**
 * What a client may send UPS itself (issue 12, point 7): `transId` and `transactionSrc` (Tracking.yaml,
 * Rating.yaml, Shipping.yaml header parameters; added here when absent) and `shipperNumber`
 * (Shipping.yaml, "Required only for Roadie Shipments"). `x-merchant-id` belongs to the token
 * request (OAuthClientCredentials.yaml) and is the gateway's.
 */
export const UPS_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: ['transid', 'transactionsrc', 'shippernumber'],
  sources: [
    '../shared/carrier-specs/ups/Tracking.yaml',
    '../shared/carrier-specs/ups/Rating.yaml',
    '../shared/carrier-specs/ups/Shipping.yaml',
  ],
};
