/**
 * @module carriers/colissimo
 * Colissimo (La Poste's parcel label service) with a static API key, in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { COLISSIMO_ENVIRONMENTS, COLISSIMO_PROBE, COLISSIMO_FORWARDED_HEADERS } from './api.js';
import { COLISSIMO_CREDENTIALS } from './auth.js';
import { COLISSIMO_API_ERRORS } from './errors.js';
import { colissimoShipping } from './shipping.js';
import { colissimoVoid } from './void.js';

export const colissimo: CarrierDescriptor = {
  data: {
    id: 'colissimo',
    name: 'Colissimo',
    environments: COLISSIMO_ENVIRONMENTS,
    staticCredentials: COLISSIMO_CREDENTIALS,
    api: COLISSIMO_API_ERRORS,
    probe: COLISSIMO_PROBE,
    forwardedHeaders: COLISSIMO_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/laposte/colissimo-shipping-openapi.json',
      '../shared/carrier-auth-facts.md section 4b (Colissimo)',
    ],
  },
  shipping: { ...colissimoShipping, void: colissimoVoid },
};
