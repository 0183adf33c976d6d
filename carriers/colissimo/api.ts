/**
 * @module carriers/colissimo/api
 * Colissimo SLS label web service. The published spec's server is an internal La Poste host;
 * the public one is ws.colissimo.fr with the REST base /sls-ws/SlsServiceWSRest/2.0/
 * (colissimo-shipping-openapi.json; [COL-SPEC], [COL-CODE]). No separate sandbox host is documented.
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const COLISSIMO_ENVIRONMENTS = {
  sandbox: { api: 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0' },
  production: { api: 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0' },
};

/**
 * The synthetic probe: colissimo-shipping-openapi.json `POST /checkGenerateLabel`
 * (operationId checkGenerateLabel_1), "Data control without label generation", the facts' probe
 * ([COL-SPEC] 4b.6): authenticated by the same apiKey, nothing created, and it exercises the
 * label service shipments depend on. getProductInter and getListMailBoxPickingDates are read-only
 * lookups too, but nothing says they check the key the same way; whether checkGenerateLabel is
 * billed is UNVERIFIED. A 400 "functional error" (the fixed deposit date going stale, say) still
 * proves the key was accepted; a refused key is 403 ([COL-SPEC]). The body holds
 * CheckGenerateLabelRequest's required members. No token endpoint: nothing to issue.
 */
export const COLISSIMO_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'POST',
  path: '/checkGenerateLabel',
  headers: { 'content-type': 'application/json' },
  body: {
    letter: {
      // Far ahead, so it never goes stale in the past: a carrier refusing the date answers 400,
      // which proves the key as well (above).
      service: { productCode: 'DOM', depositDate: '2099-12-31T00:00:00.000Z' },
      parcel: { weight: 0.5 },
      sender: {
        address: {
          companyName: 'Probe',
          line2: '1 rue de Rivoli',
          countryCode: 'FR',
          city: 'Paris',
          zipCode: '75001',
        },
      },
      addressee: {
        address: {
          lastName: 'Probe',
          line2: '2 place Bellecour',
          countryCode: 'FR',
          city: 'Lyon',
          zipCode: '69002',
        },
      },
    },
  },
  okStatuses: [200, 400],
  freshIssuance: false,
};

/**
 * What a client may send Colissimo itself (issue 12, point 7): nothing beyond the representation
 * headers. The spec's header parameters (`apiKey`, `login`, `password`, `accountNumber`) are
 * the account's credentials, which the gateway sends (colissimo-shipping-openapi.json).
 */
export const COLISSIMO_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: [],
  sources: ['../shared/carrier-specs/laposte/colissimo-shipping-openapi.json'],
};
