/**
 * @module carriers/oauth2/api
 * The generic adapter has no hosts of its own: every account names its token URL and API base,
 * and, when the gateway onboards it with the authorization-code flow, its authorization endpoint.
 */
export const OAUTH2_REQUIRED_URLS = ['token', 'api'] as const;

/** Required on top of OAUTH2_REQUIRED_URLS for an account onboarded through `/v1/accounts/{id}/authorize`. */
export const OAUTH2_ONBOARDING_URLS = ['authorize'] as const;
