/**
 * @module carriers/oauth2
 * Any standards-compliant OAuth 2.0 server, configured by data in the account's `oauth2:` block.
 * No label API (no `shipping`): the adapter knows how to obtain tokens from any RFC 6749 server,
 * not what the API behind it looks like, so there is no shipment model to map onto; an account
 * with a `shipping:` block is refused at boot.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { OAUTH2_ACCOUNT_SETTINGS, OAUTH2_PROBE, OAUTH2_FORWARDED_HEADERS } from './api.js';
import { OAUTH2_AUTHORIZATION, OAUTH2_REFRESH, OAUTH2_TOKEN } from './auth.js';
import { OAUTH2_API_ERRORS, OAUTH2_ERRORS } from './errors.js';
import { oauth2TokenResponseSchema } from './schemas.js';

export const oauth2: CarrierDescriptor = {
  data: {
    id: 'oauth2',
    name: 'OAuth 2.0',
    token: { ...OAUTH2_TOKEN, ...OAUTH2_ERRORS },
    authorization: OAUTH2_AUTHORIZATION,
    api: OAUTH2_API_ERRORS,
    probe: OAUTH2_PROBE,
    refresh: OAUTH2_REFRESH,
    accountSettings: OAUTH2_ACCOUNT_SETTINGS,
    forwardedHeaders: OAUTH2_FORWARDED_HEADERS,
    sources: [
      'RFC 6749 (OAuth 2.0)',
      'RFC 6750 (Bearer tokens)',
      'RFC 7636 (PKCE)',
      'RFC 8707 (resource indicators)',
    ],
  },
  tokenResponseSchema: oauth2TokenResponseSchema,
};
