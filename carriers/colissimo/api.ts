/**
 * @module carriers/colissimo/api
 * Colissimo SLS label web service. The published spec's server is an internal La Poste host;
 * the public one is ws.colissimo.fr with the REST base /sls-ws/SlsServiceWSRest/2.0/
 * (colissimo-shipping-openapi.json; [COL-SPEC], [COL-CODE]). No separate sandbox host is documented.
 */
export const COLISSIMO_ENVIRONMENTS = {
  sandbox: { api: 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0' },
  production: { api: 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0' },
};
