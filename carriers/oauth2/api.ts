/**
 * @module carriers/oauth2/api
 * The generic adapter has no hosts of its own: every account names its token URL and API base.
 */
export const OAUTH2_REQUIRED_URLS = ['token', 'api'] as const;
