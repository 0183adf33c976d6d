/**
 * @module carriers/laposte/api
 * The La Poste Okapi gateway (api.laposte.fr), home of the Suivi v2 tracking API
 * (la-poste-groupe-suivi-openapi.json `servers`: https://api.laposte.fr/suivi/v2). Sandbox and
 * production keys use the same host and header; nothing tells them apart ([LP-AUTH-EV]).
 */
import type { ApiRequestContext, CarrierDescriptorData } from '../../src/core/carrier.js';

export const LAPOSTE_ENVIRONMENTS = {
  sandbox: { api: 'https://api.laposte.fr' },
  production: { api: 'https://api.laposte.fr' },
};

/**
 * The synthetic probe: la-poste-groupe-suivi-openapi.json `GET /idships/{idship}` with
 * `lang=fr_FR` and `Accept: application/json` (required), the facts' cheap probe ([LP-SUIVI]
 * [KAR-LP] 4a.6). A made-up parcel number is "unknown" to the real service: 404 with returnCode
 * 104 still proves the key was accepted (a refused key is 401, [LP-AUTH-EV]). `freshIssuance:
 * false`: key accounts have no token, and the OAuth mode is authorization code with single-use
 * refresh tokens (auth.ts).
 */
export const LAPOSTE_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'GET',
  path: '/suivi/v2/idships/6A12345678901?lang=fr_FR',
  headers: { accept: 'application/json' },
  okStatuses: [200, 404],
  freshIssuance: false,
};

/**
 * The OAuth mode's token on a Suivi call. la-poste-groupe-suivi-openapi.json declares two security
 * schemes, `OKAPIkey` (header X-Okapi-Key) and `JWT` (apiKey **in cookie** `access_token`, l.182-186),
 * and no Bearer scheme: the token the gateway put in `Authorization: Bearer` goes in that cookie
 * instead. Key accounts carry no Authorization header and are left as they are.
 */
export function decorateLaposteRequest({ headers }: ApiRequestContext): void {
  const authorization = headers['authorization'];
  if (authorization === undefined || !/^Bearer /i.test(authorization)) return;
  delete headers['authorization'];
  headers['cookie'] = `access_token=${authorization.slice('Bearer '.length)}`;
}

/**
 * What a client may send La Poste itself (issue 12, point 7): nothing beyond the representation
 * headers. The Suivi spec's header parameters are `Accept` (a representation header),
 * `X-Okapi-Key` (the gateway's credential) and `X-Forwarded-For` (forwarding information, never
 * taken from a client) (la-poste-groupe-suivi-openapi.json).
 */
export const LAPOSTE_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: [],
  sources: ['../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json'],
};
