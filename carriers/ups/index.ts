/**
 * @module carriers/ups
 * UPS: the reference carrier. Other carrier folders copy this file set.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { decorateUpsRequest, UPS_ENVIRONMENTS, UPS_PROBE, UPS_FORWARDED_HEADERS } from './api.js';
import { UPS_AUTHORIZATION, UPS_REFRESH, UPS_TOKEN } from './auth.js';
import { UPS_API_ERRORS, UPS_ERRORS } from './errors.js';
import { upsTokenResponseSchema } from './schemas.js';
import { upsLookup } from './lookup.js';
import { upsShipping } from './shipping.js';
import { upsVoid } from './void.js';
import { upsRates } from './rates.js';
import { upsTracking } from './tracking.js';

export const ups: CarrierDescriptor = {
  data: {
    id: 'ups',
    name: 'UPS',
    environments: UPS_ENVIRONMENTS,
    token: { ...UPS_TOKEN, ...UPS_ERRORS },
    authorization: UPS_AUTHORIZATION,
    api: UPS_API_ERRORS,
    probe: UPS_PROBE,
    refresh: UPS_REFRESH,
    forwardedHeaders: UPS_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/ups/OAuthClientCredentials.yaml',
      '../shared/carrier-specs/ups/OAuthAuthCode.yaml',
      '../shared/carrier-specs/ups/Tracking.yaml',
      '../shared/carrier-specs/ups/Shipping.yaml',
      '../shared/carrier-specs/ups/Rating.yaml',
      '../shared/carrier-auth-facts.md section 1 (UPS)',
    ],
  },
  tokenResponseSchema: upsTokenResponseSchema,
  decorateApiRequest: decorateUpsRequest,
  shipping: { ...upsShipping, void: upsVoid, lookup: upsLookup },
  rates: upsRates,
  tracking: upsTracking,
};
