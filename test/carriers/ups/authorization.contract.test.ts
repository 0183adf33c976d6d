/**
 * @module test/carriers/ups/authorization.contract
 * The UPS onboarding requests against UPS's own OAuthAuthCode.yaml (../shared/carrier-specs/ups):
 * the authorization request (`AuthorizeClient`, GET /v1/oauth/authorize) and the code exchange
 * (`GenerateToken`, POST /v1/oauth/token) with and without PKCE, as the gateway builds them.
 *
 * The spec contradicts itself on PKCE: GenerateToken declares `security: BasicAuthGenerate`,
 * while its description says that with PKCE "the BASIC Authorization header should not be
 * included, just the client_id parameter in the body" ([UPS-AC] 1.3). The gateway follows the
 * description, so the PKCE exchange satisfies everything in the schema but that security entry;
 * the test pins exactly that one deviation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolveOAuthAccount } from '../../../src/accounts/resolve.js';
import { configSchema } from '../../../config/schema.js';
import { AuthorizationFlow } from '../../../src/auth/authorization-flow.js';
import { buildTokenRequest } from '../../../src/auth/token-client.js';
import { TokenEngine } from '../../../src/auth/token-engine.js';
import { testLogger } from '../../support/log-capture.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractSpec,
} from '../../support/openapi-contract.js';

const REDIRECT = 'https://gateway.example.com/v1/oauth/callback';

function upsAccount(pkce: boolean) {
  const config = configSchema.parse({
    clients: [{ id: 'shop', apiKey: 'shop-api-key-0123456789', accounts: ['ups-3p'] }],
    accounts: [
      {
        id: 'ups-3p',
        carrier: 'ups',
        grant: 'authorization_code',
        credentials: { clientId: 'ups-app-client', clientSecret: 'ups-app-secret-0000' },
        authorization: { redirectUri: REDIRECT, pkce, scope: 'read' },
      },
    ],
  });
  return resolveOAuthAccount(config.accounts[0]!, 0);
}

describeContract('UPS onboarding requests against OAuthAuthCode.yaml', () => {
  let spec: ContractSpec;
  let engine: TokenEngine;

  beforeAll(async () => {
    spec = await loadSpec('ups/OAuthAuthCode.yaml');
  });
  afterAll(() => engine?.stop());

  async function authorizeUrl(pkce: boolean): Promise<URL> {
    const account = upsAccount(pkce);
    engine = new TokenEngine({ accounts: [account], log: testLogger('ups-contract') });
    const flow = new AuthorizationFlow({ accounts: [account], engine, log: testLogger('ups-contract') });
    // The operator's browser opens the start link; what it is sent to is the request checked.
    const start = new URL(await flow.begin('ups-3p', { id: 'ops' }));
    const url = new URL((await flow.open(start.searchParams.get('ticket')!)).location);
    engine.stop();
    return url;
  }

  describe('AuthorizeClient', () => {
    it.each([true, false])('the authorization request conforms (pkce %s)', async (pkce) => {
      const url = await authorizeUrl(pkce);
      expect(url.origin + url.pathname).toBe('https://wwwcie.ups.com/security/v1/oauth/authorize');
      const result = validateRequest(spec, { method: 'GET', url: url.toString(), headers: {} });
      expect(result.errors).toEqual([]);
      expect(result.operationId).toBe('AuthorizeClient');
      expect(url.searchParams.has('code_challenge')).toBe(pkce);
    });

    it('negative control: without redirect_uri it does not', async () => {
      const url = await authorizeUrl(false);
      url.searchParams.delete('redirect_uri');
      const result = validateRequest(spec, { method: 'GET', url: url.toString(), headers: {} });
      expect(result.ok).toBe(false);
      expect(result.errors.join('\n')).toContain('redirect_uri');
    });
  });

  describe('GenerateToken', () => {
    it('without PKCE: Basic, grant_type, code and redirect_uri conform', () => {
      const request = buildTokenRequest(upsAccount(false), {
        kind: 'code',
        code: 'code-123',
        redirectUri: REDIRECT,
      });
      expect(request.url).toBe('https://wwwcie.ups.com/security/v1/oauth/token');
      const result = validateRequest(spec, { method: 'POST', ...request });
      expect(result.errors).toEqual([]);
      expect(result.operationId).toBe('GenerateToken');
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        grant_type: 'authorization_code',
        code: 'code-123',
        redirect_uri: REDIRECT,
      });
    });

    it('with PKCE: the body conforms, and the only deviation is the Basic header the description says to drop', () => {
      const request = buildTokenRequest(upsAccount(true), {
        kind: 'code',
        code: 'code-123',
        redirectUri: REDIRECT,
        codeVerifier: 'v'.repeat(43),
      });
      expect(request.headers.authorization).toBeUndefined();
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        grant_type: 'authorization_code',
        code: 'code-123',
        redirect_uri: REDIRECT,
        code_verifier: 'v'.repeat(43),
        client_id: 'ups-app-client',
      });
      const result = validateRequest(spec, { method: 'POST', ...request });
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatch(/^security: /);
    });
  });
});
