/**
 * @module test/contract/kit.test
 *
 * Owns the proof that the contract kit itself works: hand-written requests (no gateway code)
 * that the carriers' published OpenAPI documents must accept, and near-identical ones they must
 * reject, with the exact error lines the per-adapter tests will show. Every case was written
 * against what the spec file actually declares, not against the carriers' prose.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describeContract,
  expectedSpecsDir,
  loadSpec,
  specFromDocument,
  specsDir,
  validateRequest,
} from '../support/openapi-contract.js';
import type { ContractSpec } from '../support/openapi-contract.js';
import { startRecordingServer } from '../support/recording-server.js';
import type { RecordingServer } from '../support/recording-server.js';

const basic = (id: string, secret: string): string =>
  'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
const bearer = 'Bearer eyJhbGciOiJSUzI1NiJ9.test.token';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** A copy of `record` without `key`, for "the same request minus one field" cases. */
function without<T extends object>(record: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...record };
  delete copy[key];
  return copy;
}

describeContract('contract kit: UPS OAuth client credentials (ups/OAuthClientCredentials.yaml)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('ups/OAuthClientCredentials.yaml');
  });

  const tokenRequest = {
    method: 'POST',
    url: 'https://wwwcie.ups.com/security/v1/oauth/token',
    headers: { authorization: basic('client-id', 'client-secret'), 'content-type': FORM },
    body: 'grant_type=client_credentials',
  };

  it('accepts Basic auth with a form body carrying grant_type', () => {
    const result = validateRequest(spec, tokenRequest);
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ ok: true, operationId: 'CreateToken' });
  });

  it('accepts a path-only URL and a Buffer body', () => {
    const result = validateRequest(spec, {
      ...tokenRequest,
      url: '/security/v1/oauth/token',
      body: Buffer.from('grant_type=client_credentials'),
    });
    expect(result.errors).toEqual([]);
  });

  it('rejects a form body without grant_type', () => {
    const result = validateRequest(spec, { ...tokenRequest, body: 'scope=read' });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual(["body: must have required property 'grant_type'"]);
  });

  it('rejects a missing body (requestBody is required)', () => {
    const result = validateRequest(spec, { ...tokenRequest, body: undefined });
    expect(result.errors).toEqual(['body: required by the spec but missing']);
  });

  it('rejects Bearer or malformed Basic credentials where the spec names http basic', () => {
    const withBearer = validateRequest(spec, {
      ...tokenRequest,
      headers: { ...tokenRequest.headers, authorization: bearer },
    });
    expect(withBearer.errors).toEqual([
      "security: no declared alternative is satisfied (BasicAuth: expected 'authorization: Basic <base64(id:secret)>')",
    ]);
    const noColon = validateRequest(spec, {
      ...tokenRequest,
      headers: {
        ...tokenRequest.headers,
        authorization: 'Basic ' + Buffer.from('id-only').toString('base64'),
      },
    });
    expect(noColon.errors).toEqual([
      "security: no declared alternative is satisfied (BasicAuth: 'authorization: Basic' credentials do not decode to 'id:secret')",
    ]);
  });

  it('x-merchant-id: the spec declares only `type: string`, so the kit does not invent a length rule', () => {
    // "6-digit UPS account number" is description prose; header constraints that the spec does
    // declare are enforced below (DHL Express Message-Reference, La Poste Accept).
    for (const merchant of ['A1B2C3', 'not-six-digits-at-all']) {
      const result = validateRequest(spec, {
        ...tokenRequest,
        headers: { ...tokenRequest.headers, 'X-Merchant-Id': merchant },
      });
      expect(result.errors).toEqual([]);
    }
  });

  it('rejects a JSON body: only form encoding is declared', () => {
    const result = validateRequest(spec, {
      ...tokenRequest,
      headers: { ...tokenRequest.headers, 'content-type': JSON_TYPE },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(result.errors).toEqual([
      "header content-type: 'application/json' is not accepted (spec accepts application/x-www-form-urlencoded)",
    ]);
  });

  it('validates a request captured by the recording server', async () => {
    const server = await startRecordingServer(() => ({ status: 200, body: { access_token: 'x' } }));
    try {
      await fetch(`${server.url}/security/v1/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic('id', 'secret'), 'x-merchant-id': '123456' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const [recorded] = server.requests;
      expect(recorded).toBeDefined();
      if (recorded === undefined) return;
      expect(validateRequest(spec, recorded, { serverBase: server.url }).errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describeContract('contract kit: UPS Address Validation (ups/AddressValidation.yaml)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('ups/AddressValidation.yaml');
  });

  const address = {
    AddressLine: ['26601 ALISO CREEK ROAD'],
    PoliticalDivision2: 'ALISO VIEJO',
    PoliticalDivision1: 'CA',
    PostcodePrimaryLow: '92656',
    CountryCode: 'US',
  };
  const xav = (addressKeyFormat: object, url = 'https://onlinetools.ups.com/api/addressvalidation/v2/1') => ({
    method: 'POST',
    url,
    headers: { authorization: bearer, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ XAVRequest: { AddressKeyFormat: addressKeyFormat } }),
  });

  it('accepts a minimal XAV request under the /api server prefix', () => {
    const result = validateRequest(spec, xav(address));
    expect(result.errors).toEqual([]);
    expect(result.operationId).toBe('AddressValidation');
    expect(result.operation).toBe('POST /addressvalidation/{version}/{requestoption}');
  });

  it('rejects a body missing the required CountryCode', () => {
    expect(validateRequest(spec, xav(without(address, 'CountryCode'))).errors).toEqual([
      "body/XAVRequest/AddressKeyFormat: must have required property 'CountryCode'",
    ]);
  });

  it('rejects property values violating maxLength and type', () => {
    const result = validateRequest(spec, xav({ ...address, CountryCode: 'USA', AddressLine: '26601 ALISO' }));
    expect(result.errors).toEqual([
      'body/XAVRequest/AddressKeyFormat/AddressLine: must be array',
      'body/XAVRequest/AddressKeyFormat/CountryCode: must NOT have more than 2 characters',
    ]);
  });

  it('validates path and query parameters with their declared types', () => {
    const url = 'https://onlinetools.ups.com/api/addressvalidation/v2/abc?maximumcandidatelistsize=0';
    expect(validateRequest(spec, xav(address, url)).errors).toEqual([
      'path requestoption: must be integer',
      'query maximumcandidatelistsize: must be >= 1',
    ]);
  });

  it('requires a Bearer token (oauth2 security)', () => {
    const request = xav(address);
    const result = validateRequest(spec, { ...request, headers: { 'content-type': JSON_TYPE } });
    expect(result.errors).toEqual([
      "security: no declared alternative is satisfied (OAuth2: expected 'authorization: Bearer <token>')",
    ]);
  });

  it('rejects malformed JSON', () => {
    const result = validateRequest(spec, { ...xav(address), body: '{"XAVRequest":' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^body: not valid JSON/);
  });

  it('requires the /api prefix unless serverBase names the base the client was given', () => {
    const bare = xav(address, 'http://127.0.0.1:4010/addressvalidation/v2/1');
    const result = validateRequest(spec, bare);
    expect(result.ok).toBe(false);
    expect(result.errors[0]).toMatch(
      /^no operation in ups\/AddressValidation\.yaml matches POST \/addressvalidation\/v2\/1 \(server prefixes: \/api;/,
    );
    expect(validateRequest(spec, bare, { serverBase: 'http://127.0.0.1:4010' }).errors).toEqual([]);
    const mounted = xav(address, 'http://127.0.0.1:4010/ups/api/addressvalidation/v2/1');
    expect(validateRequest(spec, mounted, { serverBase: 'http://127.0.0.1:4010/ups' }).errors).toEqual([]);
  });
});

describeContract('contract kit: UPS Tracking (ups/Tracking.yaml)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('ups/Tracking.yaml');
  });
  const url =
    'https://wwwcie.ups.com/api/track/v1/details/1Z12345E0205271688?locale=en_US&returnSignature=false';

  it('rejects a tracking call without the required transId and transactionSrc headers', () => {
    const result = validateRequest(spec, { method: 'GET', url, headers: { authorization: bearer } });
    expect(result.operationId).toBe('getSingleTrackResponseUsingGET');
    expect(result.errors).toEqual([
      'header transId: required by the spec but missing',
      'header transactionSrc: required by the spec but missing',
    ]);
  });

  it('accepts the call with both headers, matching header names case-insensitively', () => {
    const headers = { Authorization: bearer, transid: 'a1b2c3', TRANSACTIONSRC: 'carrier-gateway' };
    const result = validateRequest(spec, { method: 'GET', url, headers });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('names the allowed methods when the path exists but the method does not', () => {
    const result = validateRequest(spec, { method: 'POST', url, headers: {} });
    expect(result.errors).toEqual([
      'no POST operation in ups/Tracking.yaml for /api/track/v1/details/1Z12345E0205271688 (spec allows GET)',
    ]);
  });

  it('fails an unknown path with a message naming the prefixes and known paths', () => {
    const result = validateRequest(spec, { method: 'GET', url: '/api/track/v2/nowhere', headers: {} });
    expect(result.ok).toBe(false);
    expect(result.operationId).toBeUndefined();
    expect(result.errors).toEqual([
      'no operation in ups/Tracking.yaml matches GET /api/track/v2/nowhere (server prefixes: /api; paths: ' +
        '/track/v1/details/{inquiryNumber}, /track/v1/reference/details/{referenceNumber}, ' +
        '/track/v1/shipment/details/{inquiryNumber})',
    ]);
  });
});

describeContract('contract kit: FedEx OAuth (fedex/APIAuthorization-Resource.json)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('fedex/APIAuthorization-Resource.json');
  });
  const request = (body: Record<string, string>) => ({
    method: 'POST',
    url: 'https://apis-sandbox.fedex.com/oauth/token',
    headers: { 'content-type': FORM },
    body: new URLSearchParams(body).toString(),
  });

  it('accepts grant_type, client_id and client_secret as form fields', () => {
    const result = validateRequest(
      spec,
      request({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'secret' }),
    );
    expect(result.errors).toEqual([]);
    expect(result.operationId).toBe('API Authorization');
  });

  it('rejects a form without client_secret', () => {
    const result = validateRequest(spec, request({ grant_type: 'client_credentials', client_id: 'id' }));
    expect(result.errors).toEqual(["body: must have required property 'client_secret'"]);
  });

  it('enforces the content-type header FedEx declares as a required parameter', () => {
    const full = request({ grant_type: 'x', client_id: 'i', client_secret: 's' });
    expect(validateRequest(spec, { ...full, headers: {} }).errors).toEqual([
      'header content-type: required by the spec but missing',
      'header content-type: missing although a body was sent (spec accepts application/x-www-form-urlencoded)',
    ]);
  });
});

describeContract('contract kit: FedEx Address Validation (fedex/Addresses-Resource.json)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('fedex/Addresses-Resource.json');
  });
  const resolve = (address: object, headers: Record<string, string> = { authorization: bearer }) => ({
    method: 'POST',
    url: 'https://apis-sandbox.fedex.com/address/v1/addresses/resolve',
    headers: { 'content-type': JSON_TYPE, 'x-locale': 'en_US', ...headers },
    body: JSON.stringify({ addressesToValidate: [{ address }] }),
  });
  const valid = {
    streetLines: ['7372 PARKRIDGE BLVD', 'APT 286'],
    city: 'IRVING',
    stateOrProvinceCode: 'TX',
    postalCode: '75063-8659',
    countryCode: 'US',
  };

  it('accepts a valid body (the oneOf with empty example-only branches does not reject it)', () => {
    const result = validateRequest(spec, resolve(valid));
    expect(result.errors).toEqual([]);
    expect(result.operationId).toBe('Validate Address');
  });

  it('rejects an address without city and with streetLines as a string', () => {
    expect(
      validateRequest(spec, resolve({ ...without(valid, 'city'), streetLines: '7372 PARKRIDGE BLVD' }))
        .errors,
    ).toEqual([
      "body/addressesToValidate/0/address: must have required property 'city'",
      'body/addressesToValidate/0/address/streetLines: must be array',
    ]);
  });

  it('rejects a body without addressesToValidate', () => {
    const result = validateRequest(spec, {
      ...resolve(valid),
      body: '{"inEffectAsOfTimestamp":"2024-01-01"}',
    });
    expect(result.errors).toEqual(["body: must have required property 'addressesToValidate'"]);
  });

  it('enforces the authorization header FedEx declares as a required parameter', () => {
    expect(validateRequest(spec, resolve(valid, {})).errors).toEqual([
      'header authorization: required by the spec but missing',
    ]);
  });
});

describeContract('contract kit: USPS Addresses query parameters (usps/addresses.yaml)', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('usps/addresses.yaml');
  });
  const get = (query: string) => ({
    method: 'GET',
    url: `https://apis.usps.com/addresses/v3/address?${query}`,
    headers: { authorization: bearer, accept: JSON_TYPE },
  });

  it('accepts required query parameters matching their patterns', () => {
    const result = validateRequest(
      spec,
      get('streetAddress=3120+M+St+NW&city=Washington&state=DC&ZIPCode=20027'),
    );
    expect(result.errors).toEqual([]);
    expect(result.operationId).toBe('get-address');
  });

  it('rejects a missing required parameter and pattern/length violations', () => {
    expect(validateRequest(spec, get('state=California&ZIPCode=2002')).errors).toEqual([
      'query streetAddress: required by the spec but missing',
      'query state: must NOT have more than 2 characters',
      expect.stringMatching(/^query state: must match pattern "\^\(AA\|AE\|/),
      'query ZIPCode: must match pattern "^\\d{5}$"',
    ]);
  });
});

describeContract('contract kit: La Poste Suivi header enum and apiKey security', () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec('laposte/la-poste-groupe-suivi-openapi.json');
  });
  const url = 'https://api.laposte.fr/suivi/v2/idships/6A12345678901?lang=fr_FR';

  it('accepts Accept: application/json with the X-Okapi-Key header', () => {
    const headers = { accept: JSON_TYPE, 'x-okapi-key': 'key' };
    expect(validateRequest(spec, { method: 'GET', url, headers }).errors).toEqual([]);
  });

  it('rejects an Accept value outside the enum and a missing api key', () => {
    const result = validateRequest(spec, { method: 'GET', url: url + 'x', headers: { accept: 'text/html' } });
    expect(result.errors).toEqual([
      'query lang: must be equal to one of the allowed values ["fr_FR","en_GB","de_DE","es_ES","it_IT","nl_NL"]',
      'header Accept: must be equal to one of the allowed values ["application/json"]',
      'header X-Okapi-Key: required by the spec but missing',
      "security: no declared alternative is satisfied (OKAPIkey: expected header 'X-Okapi-Key'; or JWT: expected cookie 'access_token')",
    ]);
  });
});

describeContract(
  'contract kit: DHL Express header limits and array queries (dhl/dpdhl-express-api-3.1.1)',
  () => {
    let spec: ContractSpec;
    beforeAll(async () => {
      spec = await loadSpec('dhl/dpdhl-express-api-3.1.1_swagger.yaml');
    }, 30_000);
    const track = (
      messageReference: string,
      query = 'shipmentTrackingNumber=1234567890&shipmentTrackingNumber=2345678901',
    ) => ({
      method: 'GET',
      url: `https://express.api.dhl.com/mydhlapi/test/tracking?${query}&requestControlledAccessDataCodes=true`,
      headers: {
        authorization: basic('user', 'pass'),
        'x-version': '3.1.0',
        'message-reference': messageReference,
      },
    });

    it('accepts repeated array query values, a coerced boolean and a 36-character Message-Reference', () => {
      const result = validateRequest(spec, track('d0e7a2c4-0f5b-4c1e-9a57-3f8e2b6c9d10'));
      expect(result.errors).toEqual([]);
      expect(result.operationId).toBe('exp-api-shipments-tracking-multi');
    });

    it('rejects a Message-Reference longer than the declared maxLength and an enum violation', () => {
      const result = validateRequest(spec, track('x'.repeat(37), 'levelOfDetail=everything'));
      expect(result.errors).toEqual([
        'query levelOfDetail: must be equal to one of the allowed values ["shipment","piece","all"]',
        'header Message-Reference: must NOT have more than 36 characters',
      ]);
    });
  },
);

describe('contract kit: OpenAPI 3.0 quirks (hand-written document)', () => {
  // No carrier file has a recursive schema or `nullable`+`$ref`, so this small document does.
  const spec = specFromDocument('inline/quirks.yaml', {
    openapi: '3.0.3',
    info: { title: 'quirks', version: '1' },
    servers: [{ url: 'https://api.example.test/{region}/v1', variables: { region: { default: 'eu' } } }],
    paths: {
      '/nodes/{id}': {
        put: {
          operationId: 'putNode',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'integer', format: 'int32' } },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } },
          },
        },
      },
    },
    components: {
      schemas: {
        Node: {
          type: 'object',
          required: ['id', 'name', 'children'],
          discriminator: { propertyName: 'kind' },
          'x-vendor': true,
          properties: {
            id: { type: 'string', readOnly: true },
            name: { type: 'string', nullable: true, example: 'root', maxLength: 8 },
            weight: { type: 'number', minimum: 0, exclusiveMinimum: true, format: 'double' },
            parent: { $ref: '#/components/schemas/Node', nullable: true },
            alias: { $ref: '#/components/schemas/Name', maxLength: 1 },
            shape: { oneOf: [{ $ref: '#/components/schemas/Box' }, { $ref: '#/components/schemas/Named' }] },
            children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
          },
        },
        Name: { type: 'string', format: 'cityName' },
        Box: { type: 'object', required: ['width'], properties: { width: { type: 'number' } } },
        Named: { type: 'object', required: ['label'], properties: { label: { type: 'string' } } },
      },
    },
  });
  const put = (body: unknown, id = '7') => ({
    method: 'PUT',
    url: `https://api.example.test/us/v1/nodes/${id}`,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify(body),
  });
  const leaf = (name: string | null) => ({ name, children: [] });
  const deep = (depth: number): unknown =>
    depth === 0 ? leaf('leaf') : { name: `n${depth}`, parent: null, children: [deep(depth - 1)] };

  it('handles recursive $refs (deep nesting validates, no stack overflow at compile time)', () => {
    const result = validateRequest(spec, put(deep(60)));
    expect(result.errors).toEqual([]);
    expect(result.operationId).toBe('putNode');
  });

  it('reports errors deep inside recursive structures with their path', () => {
    const body = { name: 'root', children: [{ name: 'a', children: [{ name: 'b' }] }] };
    expect(validateRequest(spec, put(body)).errors).toEqual([
      "body/children/0/children/0: must have required property 'children'",
    ]);
  });

  it('treats readOnly properties as not required, nullable as a null union, $ref siblings as ignored', () => {
    const body = { name: null, parent: { ...leaf(null), parent: null }, alias: 'long alias', children: [] };
    expect(validateRequest(spec, put(body)).errors).toEqual([]);
    expect(validateRequest(spec, put({ name: 5, children: [] })).errors).toEqual([
      'body/name: must be string,null',
    ]);
  });

  it('converts boolean exclusiveMinimum, validates oneOf as anyOf, coerces and formats path parameters', () => {
    const overlapping = { name: 'x', children: [], weight: 0.5, shape: { width: 1, label: 'both' } };
    expect(validateRequest(spec, put(overlapping)).errors).toEqual([]);
    expect(validateRequest(spec, put({ name: 'x', children: [], weight: 0 }, '4294967296')).errors).toEqual([
      'path id: must match format "int32"',
      'body/weight: must be > 0',
    ]);
  });

  it('rejects a body on a path with a non-numeric id', () => {
    expect(validateRequest(spec, put(leaf('x'), 'abc')).errors).toEqual(['path id: must be integer']);
  });
});

describe('contract kit: specs folder resolution', () => {
  const saved = process.env.CARRIER_SPECS_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.CARRIER_SPECS_DIR;
    else process.env.CARRIER_SPECS_DIR = saved;
  });

  it('defaults to ../shared/carrier-specs beside the project root', () => {
    delete process.env.CARRIER_SPECS_DIR;
    expect(expectedSpecsDir()).toMatch(/[\\/]shared[\\/]carrier-specs$/);
  });

  it('honours CARRIER_SPECS_DIR and reports an absent folder as null', () => {
    process.env.CARRIER_SPECS_DIR = '/nonexistent/carrier-specs';
    expect(expectedSpecsDir()).toBe('/nonexistent/carrier-specs');
    expect(specsDir()).toBeNull();
  });
});

describe('recording server', () => {
  let server: RecordingServer;
  afterEach(async () => {
    await server.close();
  });

  it('records method, url, lowercased headers and raw body, and replies with the responder result', async () => {
    server = await startRecordingServer((req) =>
      req.url.startsWith('/token')
        ? { status: 200, body: { access_token: 'abc', expires_in: 3600 } }
        : { status: 404, headers: { 'X-Reason': 'unknown' }, body: 'nope' },
    );
    const ok = await fetch(`${server.url}/token?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': FORM, 'X-Trace-Id': 'T-1' },
      body: 'grant_type=client_credentials&scope=a%20b',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual({ access_token: 'abc', expires_in: 3600 });

    const missing = await fetch(`${server.url}/other`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-reason')).toBe('unknown');
    expect(await missing.text()).toBe('nope');

    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/token?x=1',
      body: 'grant_type=client_credentials&scope=a%20b',
      headers: { 'content-type': FORM, 'x-trace-id': 'T-1' },
    });
    expect(server.requests[1]).toMatchObject({ method: 'GET', url: '/other', body: '' });
  });

  it('clears in place and turns a throwing responder into a 500', async () => {
    server = await startRecordingServer(() => {
      throw new Error('boom');
    });
    const { requests } = server;
    const res = await fetch(`${server.url}/x`, { method: 'DELETE' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('recording-server responder threw: boom');
    expect(requests).toHaveLength(1);
    server.clear();
    expect(server.requests).toBe(requests);
    expect(requests).toHaveLength(0);
  });
});
