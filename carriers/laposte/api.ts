/**
 * @module carriers/laposte/api
 * The La Poste Okapi gateway (api.laposte.fr), home of the Suivi v2 tracking API
 * (la-poste-groupe-suivi-openapi.json `servers`: https://api.laposte.fr/suivi/v2). Sandbox and
 * production keys use the same host and header; nothing tells them apart ([LP-AUTH-EV]).
 */
export const LAPOSTE_ENVIRONMENTS = {
  sandbox: { api: 'https://api.laposte.fr' },
  production: { api: 'https://api.laposte.fr' },
};
