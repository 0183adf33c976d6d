/**
 * @module test/carriers/registry
 * Carrier data (carriers/<carrier>/) against the descriptor schema, and accounts resolved from it
 * (src/accounts/resolve.ts): URL derivation, carrier headers and grant parameters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { descriptorDataSchema, type CarrierDescriptor } from '../../src/core/carrier.js';
import { CARRIERS } from '../../carriers/index.js';
import { resolveOAuthAccount, validateCarrierData } from '../../src/accounts/resolve.js';
import { type ResolvedAccount } from '../../src/core/account.js';
import { CARRIER_IDS, type CarrierId } from '../../carriers/index.js';
import { configSchema } from '../../config/schema.js';
import { isGatewayError } from '../../src/core/errors.js';
import { projectRoot } from '../../src/platform/project-root.js';

const carriers = Object.entries(CARRIERS) as [CarrierId, CarrierDescriptor][];
/** Carriers with a token endpoint (the others send static credentials). */
const tokenCarriers = carriers.filter(([, carrier]) => carrier.data.token !== undefined);

function resolved(account: Record<string, unknown>): ResolvedAccount {
  const config = configSchema.parse({
    clients: [{ id: 'shop', apiKey: 'shop-api-key-0123456789', accounts: [account.id] }],
    accounts: [account],
  });
  return resolveOAuthAccount(config.accounts[0]!, 0);
}

const UPS_CREDENTIALS = { clientId: 'ups-client', clientSecret: 'ups-secret-0000' };
const ups = (extra: Record<string, unknown> = {}) =>
  resolved({ id: 'ups-main', carrier: 'ups', credentials: UPS_CREDENTIALS, ...extra });

describe('carrier data', () => {
  const originals = { ...CARRIERS };
  afterEach(() => Object.assign(CARRIERS, originals));

  /** Runs validateCarrierData with one carrier's data replaced; returns the error detail. */
  function validationDetail(id: CarrierId, data: unknown): string {
    CARRIERS[id] = { ...originals[id], data: data as CarrierDescriptor['data'] };
    try {
      validateCarrierData();
    } catch (error) {
      expect(isGatewayError(error) && error.code).toBe('ERR_CONFIG_INVALID');
      if (!isGatewayError(error)) throw error;
      expect(error.message).toBe(`carrier data for ${id} is invalid`);
      return error.detail ?? '';
    }
    throw new Error(`expected the changed ${id} data to be refused`);
  }

  it('covers exactly the carriers the configuration accepts', () => {
    expect(Object.keys(CARRIERS).sort()).toEqual([...CARRIER_IDS].sort());
  });

  it('validateCarrierData accepts every carrier as shipped', () => {
    expect(() => validateCarrierData()).not.toThrow();
  });

  it.each(carriers)('%s data matches the descriptor schema and its own id', (id, carrier) => {
    expect(descriptorDataSchema.safeParse(carrier.data).error).toBeUndefined();
    expect(carrier.data.id).toBe(id);
  });

  it.each(carriers)(
    '%s: an unknown top-level key is refused, naming the carrier and the key',
    (id, carrier) => {
      const detail = validationDetail(id, { ...carrier.data, tokenUrl: 'https://example.test' });
      expect(detail).toMatch(new RegExp(`^carriers/${id}: `));
      expect(detail).toContain('"tokenUrl"');
    },
  );

  it.each(tokenCarriers)('%s: an unknown nested key is refused, naming its parent path', (id, carrier) => {
    const detail = validationDetail(id, {
      ...carrier.data,
      token: { ...carrier.data.token!, clientAuth: 'basic' },
    });
    expect(detail).toContain(`carriers/${id}: token: `);
    expect(detail).toContain('"clientAuth"');
  });

  it.each(tokenCarriers)('%s: a bad grant is refused, naming the key path', (id, carrier) => {
    const token = { ...carrier.data.token!, grants: [...carrier.data.token!.grants, 'implicit'] };
    const index = carrier.data.token!.grants.length;
    expect(validationDetail(id, { ...carrier.data, token })).toContain(
      `carriers/${id}: token.grants.${index}: `,
    );
  });

  it('a bad defaultGrant or credential field is refused, naming the key path', () => {
    const data = CARRIERS.fedex.data;
    expect(
      validationDetail('fedex', { ...data, token: { ...data.token, defaultGrant: 'client_secret' } }),
    ).toContain('token.defaultGrant');
    const requiredCredentials = { client_credentials: ['apiSecret'] };
    expect(validationDetail('fedex', { ...data, token: { ...data.token, requiredCredentials } })).toContain(
      'token.requiredCredentials.client_credentials.0',
    );
  });

  it('a failure class that does not exist is refused', () => {
    const data = CARRIERS.ups.data;
    const errorCodes = { ...data.token!.errorCodes, '10401': 'wrong_password' };
    expect(validationDetail('ups', { ...data, token: { ...data.token, errorCodes } })).toContain(
      'token.errorCodes.10401',
    );
  });

  it.each(tokenCarriers)(
    '%s: grants, defaults and per-grant tables agree with each other',
    (_id, carrier) => {
      const { grants, defaultGrant, requiredCredentials, credentialParams } = carrier.data.token!;
      expect(grants).toContain(defaultGrant);
      for (const grant of Object.keys(requiredCredentials)) expect(grants).toContain(grant);
      for (const grant of Object.keys(credentialParams)) expect(grants).toContain(grant);
    },
  );

  it.each(carriers)('%s cites at least one source, and the spec files it cites exist', (_id, carrier) => {
    expect(carrier.data.sources.length).toBeGreaterThan(0);
    const specsFolder = join(projectRoot(), '..', 'shared', 'carrier-specs');
    for (const source of carrier.data.sources) {
      expect(source.trim()).not.toBe('');
      if (source.startsWith('../shared/carrier-specs/') && existsSync(specsFolder)) {
        expect(existsSync(join(projectRoot(), source)), `${source} is cited but missing`).toBe(true);
      }
    }
  });

  it.each(carriers)(
    '%s: each forwarded header is named in a spec its list cites (issue 12, point 7)',
    (_id, carrier) => {
      const { names, sources } = carrier.data.forwardedHeaders;
      const specsFolder = join(projectRoot(), '..', 'shared', 'carrier-specs');
      if (!existsSync(specsFolder)) return;
      const specs = sources
        .filter((source) => source.startsWith('../shared/carrier-specs/'))
        .map((source) => readFileSync(join(projectRoot(), source), 'utf8').toLowerCase());
      for (const name of names) {
        expect(
          specs.some((text) => text.includes(`name: ${name}`) || text.includes(`"name": "${name}"`)),
          `${name} is not a header parameter of ${sources.join(', ')}`,
        ).toBe(true);
      }
    },
  );

  it('an allow-list naming a header that must never cross is refused at boot', () => {
    const data = CARRIERS.ups.data;
    for (const name of ['x-http-method-override', 'authorization', 'x-forwarded-host', 'cookie']) {
      const forwardedHeaders = { ...data.forwardedHeaders, names: [...data.forwardedHeaders.names, name] };
      expect(validationDetail('ups', { ...data, forwardedHeaders })).toContain('forwardedHeaders.names');
    }
    expect(validationDetail('ups', { ...data, forwardedHeaders: undefined })).toContain('forwardedHeaders');
  });
});

describe('resolved UPS account', () => {
  it('uses the CIE hosts in sandbox, with the separate refresh endpoint ([UPS-CC], [UPS-AC])', () => {
    const account = ups();
    expect(account.token.tokenUrl).toBe('https://wwwcie.ups.com/security/v1/oauth/token');
    expect(account.token.refreshUrl).toBe('https://wwwcie.ups.com/security/v1/oauth/refresh');
    expect(account.api.baseUrl.toString()).toBe('https://wwwcie.ups.com/');
  });

  it('uses the onlinetools hosts in production', () => {
    const account = ups({ environment: 'production' });
    expect(account.token.tokenUrl).toBe('https://onlinetools.ups.com/security/v1/oauth/token');
    expect(account.token.refreshUrl).toBe('https://onlinetools.ups.com/security/v1/oauth/refresh');
  });

  it.each([
    ['http://127.0.0.1:9100/security/v1/oauth/token', 'http://127.0.0.1:9100/security/v1/oauth/refresh'],
    [
      'https://ups-proxy.internal:8443/custom/token?x=1',
      'https://ups-proxy.internal:8443/security/v1/oauth/refresh',
    ],
  ])(
    'an overridden token URL %s puts refresh at /security/v1/oauth/refresh on the same origin',
    (token, refresh) => {
      const account = ups({ urls: { token } });
      expect(account.token.tokenUrl).toBe(token);
      expect(account.token.refreshUrl).toBe(refresh);
    },
  );

  it('an explicit refresh URL wins', () => {
    const urls = {
      token: 'http://127.0.0.1:9100/security/v1/oauth/token',
      refresh: 'http://127.0.0.1:9101/r',
    };
    expect(ups({ urls }).token.refreshUrl).toBe('http://127.0.0.1:9101/r');
  });

  it('sends x-merchant-id only when merchantId is set ([UPS-CC], [KAR-UPS])', () => {
    expect(ups().token.headers).toEqual({});
    const withMerchant = ups({ credentials: { ...UPS_CREDENTIALS, merchantId: '123456' } });
    expect(withMerchant.token.headers).toEqual({ 'x-merchant-id': '123456' });
  });

  it('takes the carrier defaults unless the account overrides them', () => {
    const account = ups();
    expect(account.token).toMatchObject({
      grant: 'client_credentials',
      usesRefreshToken: false,
      clientAuthentication: 'client_secret_basic',
      bodyEncoding: 'form',
      issuedAtUnit: 'ms',
      timeoutMs: 10_000,
      params: {},
    });
    expect(account.refresh).toEqual({ marginMs: 120_000, windowMs: 1_800_000 });
    expect(account.api).toMatchObject({ timeoutMs: 30_000, tokenRejectedStatuses: [401] });
    const tuned = ups({ refresh: { marginSeconds: 300 }, timeouts: { tokenMs: 2_000, apiMs: 5_000 } });
    expect(tuned.refresh).toEqual({ marginMs: 300_000, windowMs: 1_800_000 });
    expect(tuned.token.timeoutMs).toBe(2_000);
    expect(tuned.api.timeoutMs).toBe(5_000);
  });

  it("adds transId and transactionSrc to API calls without overwriting the client's ([UPS-TRK])", () => {
    const decorate = ups().descriptor.decorateApiRequest!;
    const fresh = { method: 'GET', path: 'api/track/v1/details/1Z', headers: {} as Record<string, string> };
    decorate(fresh);
    expect(fresh.headers.transid).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.headers.transactionsrc).toBe('carrier-gateway');
    const own = { method: 'GET', path: 'x', headers: { transid: 'mine', transactionsrc: 'shop' } };
    decorate(own);
    expect(own.headers).toEqual({ transid: 'mine', transactionsrc: 'shop' });
  });
});

describe('resolved FedEx account', () => {
  const credentials = {
    clientId: 'fedex-key',
    clientSecret: 'fedex-secret-0000',
    childKey: 'child-key-1',
    childSecret: 'child-secret-0000',
  };

  it('csp_credentials puts child_Key and child_secret in the params ([FDX-AUTH] 2.2)', () => {
    const account = resolved({ id: 'fedex-csp', carrier: 'fedex', grant: 'csp_credentials', credentials });
    expect(account.token.params).toEqual({ child_Key: 'child-key-1', child_secret: 'child-secret-0000' });
    expect(account.token.clientAuthentication).toBe('client_secret_post');
  });

  it('client_credentials sends no child params even when child credentials are configured', () => {
    expect(resolved({ id: 'fedex-cc', carrier: 'fedex', credentials }).token.params).toEqual({});
  });

  it('has no refresh endpoint: refresh URL is the token URL ([FDX-AUTH] 2.2: no refresh tokens)', () => {
    const account = resolved({ id: 'fedex-cc', carrier: 'fedex', credentials });
    expect(account.token.tokenUrl).toBe('https://apis-sandbox.fedex.com/oauth/token');
    expect(account.token.refreshUrl).toBe(account.token.tokenUrl);
    expect(account.token.rotatesRefreshTokens).toBe(false);
  });
});

describe('resolved OAuth 2.0 account', () => {
  it('copies the JWT expectations and defaults the clock tolerance to 30 s', () => {
    const account = resolved({
      id: 'generic',
      carrier: 'oauth2',
      urls: { token: 'https://auth.example.test/token', api: 'https://api.example.test' },
      credentials: { clientId: 'generic', clientSecret: 'generic-secret-0000' },
      token: { expectedAudience: 'aud-1', expectedIssuer: 'iss-1', expectedScopes: ['a'] },
    });
    expect(account.jwt).toEqual({
      audience: 'aud-1',
      issuer: 'iss-1',
      scopes: ['a'],
      clockToleranceSeconds: 30,
    });
    expect(account.token.refreshUrl).toBe('https://auth.example.test/token');
  });
});
