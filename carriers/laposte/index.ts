/**
 * @module carriers/laposte
 * La Poste Okapi APIs (Suivi tracking) with a static application key, in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../descriptor.js';
import { LAPOSTE_ENVIRONMENTS } from './api.js';
import { LAPOSTE_CREDENTIALS } from './auth.js';
import { LAPOSTE_API_ERRORS } from './errors.js';

export const laposte: CarrierDescriptor = {
  data: {
    id: 'laposte',
    name: 'La Poste',
    environments: LAPOSTE_ENVIRONMENTS,
    staticCredentials: LAPOSTE_CREDENTIALS,
    api: LAPOSTE_API_ERRORS,
    sources: [
      '../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json',
      '../shared/carrier-auth-facts.md section 4a (La Poste Okapi)',
    ],
  },
};
