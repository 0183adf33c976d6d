/**
 * @module carriers/laposte
 * La Poste Okapi APIs (Suivi tracking) with a static application key, in the shape of carriers/ups;
 * accounts that name `grant: authorization_code` use the OAuth mode instead. No label API (no
 * `shipping`): Okapi as wired here is Suivi only (la-poste-groupe-suivi-openapi.json has no
 * shipment operation); La Poste parcels are labelled through Colissimo (carriers/colissimo).
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import {
  decorateLaposteRequest,
  LAPOSTE_ENVIRONMENTS,
  LAPOSTE_PROBE,
  LAPOSTE_FORWARDED_HEADERS,
} from './api.js';
import { laposteTracking } from './tracking.js';
import {
  LAPOSTE_AUTHORIZATION,
  LAPOSTE_CREDENTIALS,
  LAPOSTE_OAUTH_REFRESH,
  LAPOSTE_OAUTH_TOKEN,
} from './auth.js';
import { LAPOSTE_API_ERRORS, LAPOSTE_OAUTH_ERRORS } from './errors.js';
import { laposteTokenResponseSchema } from './schemas.js';

export const laposte: CarrierDescriptor = {
  data: {
    id: 'laposte',
    name: 'La Poste',
    environments: LAPOSTE_ENVIRONMENTS,
    staticCredentials: LAPOSTE_CREDENTIALS,
    token: { ...LAPOSTE_OAUTH_TOKEN, ...LAPOSTE_OAUTH_ERRORS },
    refresh: LAPOSTE_OAUTH_REFRESH,
    authorization: LAPOSTE_AUTHORIZATION,
    api: LAPOSTE_API_ERRORS,
    probe: LAPOSTE_PROBE,
    forwardedHeaders: LAPOSTE_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json',
      '../shared/carrier-auth-facts.md section 4a (La Poste Okapi)',
      'RFC 6749 (OAuth 2.0) and RFC 7636 (PKCE) for the OAuth mode',
    ],
  },
  tokenResponseSchema: laposteTokenResponseSchema,
  decorateApiRequest: decorateLaposteRequest,
  tracking: laposteTracking,
};
