/**
 * @module core/failure-classes
 * The failure taxonomy's vocabulary: every failure the gateway sees, at a token endpoint, at a
 * carrier API or in its own machinery, lands in exactly one of these classes, and each class
 * names the runbook an operator follows. The classes are what tell an operator what to do: wait
 * (throttled, server_error, timeout), rotate a secret (invalid_client), re-consent
 * (invalid_grant, reauthorization_required), fix configuration (invalid_scope, audience, scope),
 * or look at the carrier (revoked, premature_expiry). Throttling, revocation and expiry are kept
 * apart on purpose.
 */

export const FAILURE_CLASSES = [
  'token_endpoint.unreachable',
  'token_endpoint.timeout',
  'token_endpoint.server_error',
  'token_endpoint.throttled',
  'token_endpoint.invalid_client',
  'token_endpoint.invalid_grant',
  'token_endpoint.invalid_scope',
  'token_endpoint.unauthorized_client',
  'token_endpoint.invalid_request',
  'token_endpoint.malformed_response',
  'token_endpoint.error_in_success_body',
  'authorization.expired',
  'authorization.premature_expiry',
  'authorization.audience',
  'authorization.scope',
  'authorization.signature',
  'authorization.revoked',
  'authorization.rejected',
  'downstream.client_error',
  'downstream.server_error',
  'downstream.timeout',
  'downstream.throttled',
  'transport.tls',
  'transport.dns',
  'transport.connect',
  'gateway.lock_timeout',
  'gateway.redis_unavailable',
  'gateway.reauthorization_required',
  'gateway.internal',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** Classes an operator reads as "authentication is broken" (they feed the auth breaker and the score). */
export function isAuthClass(failureClass: FailureClass): boolean {
  return (
    failureClass.startsWith('token_endpoint.') ||
    failureClass.startsWith('authorization.') ||
    failureClass === 'gateway.reauthorization_required'
  );
}

/**
 * The runbook (docs/runbooks/, issue 6 writes them) an operator follows for each class. One
 * runbook covers classes that call for the same action.
 */
export const RUNBOOKS: Record<FailureClass, string> = {
  'token_endpoint.unreachable': 'token-endpoint-down',
  'token_endpoint.timeout': 'token-endpoint-down',
  'token_endpoint.server_error': 'token-endpoint-down',
  'token_endpoint.throttled': 'throttling',
  'token_endpoint.invalid_client': 'invalid-client',
  'token_endpoint.invalid_grant': 'reauthorization',
  'token_endpoint.invalid_scope': 'scope-drift',
  'token_endpoint.unauthorized_client': 'scope-drift',
  'token_endpoint.invalid_request': 'invalid-client',
  'token_endpoint.malformed_response': 'token-endpoint-down',
  'token_endpoint.error_in_success_body': 'invalid-client',
  'authorization.expired': 'clock-skew',
  'authorization.premature_expiry': 'clock-skew',
  'authorization.audience': 'scope-drift',
  'authorization.scope': 'scope-drift',
  'authorization.signature': 'signing-key-rotation',
  'authorization.revoked': 'reauthorization',
  'authorization.rejected': 'invalid-client',
  'downstream.client_error': 'carrier-api-outage',
  'downstream.server_error': 'carrier-api-outage',
  'downstream.timeout': 'carrier-api-outage',
  'downstream.throttled': 'throttling',
  'transport.tls': 'token-endpoint-down',
  'transport.dns': 'token-endpoint-down',
  'transport.connect': 'token-endpoint-down',
  'gateway.lock_timeout': 'redis-down',
  'gateway.redis_unavailable': 'redis-down',
  'gateway.reauthorization_required': 'reauthorization',
  'gateway.internal': 'carrier-api-outage',
};

export const RUNBOOK_BASE = 'docs/runbooks/';

export function runbookFor(failureClass: FailureClass): string {
  return `${RUNBOOK_BASE}${RUNBOOKS[failureClass]}.md`;
}
