/**
 * @module carriers/laposte/auth
 * Okapi APIs take a static application key in `X-Okapi-Key` (securitySchemes.OKAPIkey in
 * la-poste-groupe-suivi-openapi.json; [LP-SUIVI], [LP-AUTH-EV]). The key is configured as
 * `credentials.clientSecret` (the application's id stays in `clientId`).
 */
import type { CarrierDescriptorData } from '../descriptor.js';

export const LAPOSTE_CREDENTIALS: NonNullable<CarrierDescriptorData['staticCredentials']> = {
  scheme: 'header',
  header: 'X-Okapi-Key',
  secret: 'clientSecret',
};
