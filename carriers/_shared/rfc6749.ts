/**
 * @module carriers/_shared/rfc6749
 * The RFC 6749 section 5.2 token-endpoint error codes, for carriers whose token endpoint answers
 * the standard `{error, error_description}` body. Each carrier spreads the table and adds or
 * overrides what its own documentation says.
 */
import type { TokenEndpointData } from '../../src/core/carrier.js';

/** RFC 6749 5.2: each `error` value, with the failure class it means at a token endpoint. */
export const RFC6749_TOKEN_ERRORS: TokenEndpointData['errorCodes'] = {
  invalid_request: 'invalid_request',
  invalid_client: 'invalid_client',
  invalid_grant: 'invalid_grant',
  unauthorized_client: 'unauthorized_client',
  unsupported_grant_type: 'unauthorized_client',
  invalid_scope: 'invalid_scope',
};
