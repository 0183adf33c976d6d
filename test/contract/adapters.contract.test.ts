/**
 * @module test/contract/adapters.contract.test
 *
 * Owns the proof that what the gateway really puts on the wire is what the carriers' official
 * OpenAPI documents (../shared/carrier-specs) accept. A real embedded-mode gateway is pointed at
 * a recording server standing in for UPS and FedEx (token endpoints answer with carrier-shaped
 * token bodies, APIs with 200 `{}`); a client request goes through the proxy, and the token
 * request and the carrier API call the gateway made are validated as recorded. Each spec also
 * gets a negative control: the same recorded request, broken the way a faulty gateway would
 * break it, must fail, so a passing validation means something.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';
import { expect, it } from 'vitest';

import {
  expectValid,
  only,
  pathOf,
  proxyToStandIn,
  useSpecs,
  useStandInCarrier,
  withFormFields,
  withoutHeaders,
  type ProxyCall,
} from '../support/contract-checks.js';
import { registerSecrets } from '../support/log-capture.js';
import {
  describeContract,
  validateRequest,
  type ContractOptions,
  type ContractResult,
  type ContractSpec,
} from '../support/openapi-contract.js';
import { type RecordedRequest, type RecordedResponse } from '../support/recording-server.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `contract-shop-key-${randomUUID()}`;
const UPS = { clientId: 'ups-contract-client', clientSecret: `ups-secret-${randomUUID()}` };
const FEDEX = { clientId: 'l7fedexcontractkey', clientSecret: `fedex-secret-${randomUUID()}` };
const FEDEX_CHILD = { childKey: 'fedex-child-key-0001', childSecret: `fedex-child-secret-${randomUUID()}` };
const UPS_SEED_REFRESH = `ups-seed-refresh-${randomUUID()}`;
registerSecrets(
  CLIENT_KEY,
  UPS.clientSecret,
  FEDEX.clientSecret,
  FEDEX_CHILD.childKey,
  FEDEX_CHILD.childSecret,
  UPS_SEED_REFRESH,
);

const UPS_TOKEN_PATH = '/security/v1/oauth/token';
const UPS_REFRESH_PATH = '/security/v1/oauth/refresh';
const FEDEX_TOKEN_PATH = '/oauth/token';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Every access and refresh token the stand-in carrier issued, in order. */
const issued: { accessTokens: string[]; refreshTokens: string[] } = { accessTokens: [], refreshTokens: [] };
const FEDEX_SIGNING_KEY = randomBytes(32);

function opaque(prefix: string): string {
  const token = `${prefix}${randomBytes(24).toString('base64url')}`;
  registerSecrets(token);
  return token;
}

function basicUser(authorization: string | undefined): string {
  const match = /^Basic (\S+)$/.exec(authorization ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('utf8').split(':')[0]! : '';
}

/**
 * UPS token success body: every field a string, issued_at in epoch ms (OAuthClientCredentials.yaml
 * tokenSuccessResponse; OAuthAuthCode.yaml adds the refresh_token fields, also strings).
 */
function upsTokenBody(req: RecordedRequest, withRefresh: boolean): Record<string, string> {
  const accessToken = opaque('ups-at-');
  issued.accessTokens.push(accessToken);
  const issuedAt = String(Date.now());
  const body: Record<string, string> = {
    token_type: 'Bearer',
    issued_at: issuedAt,
    client_id: basicUser(req.headers.authorization),
    access_token: accessToken,
    scope: '',
    expires_in: '14399',
    refresh_count: '0',
    status: 'approved',
  };
  if (!withRefresh) return body;
  const refreshToken = opaque('ups-rt-');
  issued.refreshTokens.push(refreshToken);
  return {
    ...body,
    refresh_token: refreshToken,
    refresh_token_expires_in: '604799',
    refresh_token_status: 'approved',
    refresh_token_issued_at: issuedAt,
  };
}

/** FedEx token success body as karrio's fixtures show it: JWT-shaped token, lower-case bearer, integer 3599. */
async function fedexTokenBody(): Promise<Record<string, unknown>> {
  const accessToken = await new SignJWT({ scope: 'CXS-TP' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(FEDEX_SIGNING_KEY);
  registerSecrets(accessToken);
  issued.accessTokens.push(accessToken);
  return { access_token: accessToken, token_type: 'bearer', expires_in: 3599, scope: 'CXS-TP' };
}

const TOKEN_PATHS = [UPS_TOKEN_PATH, UPS_REFRESH_PATH, FEDEX_TOKEN_PATH];
/** A token endpoint's path, also when mounted under a prefix (`/ups-cie/security/v1/oauth/token`). */
const tokenPathOf = (url: string) => TOKEN_PATHS.find((path) => pathOf(url).endsWith(path));

/** The stand-in carrier: token endpoints by path, every other request 200 `{}`. */
async function standIn(req: RecordedRequest): Promise<RecordedResponse> {
  const tokenPath = req.method === 'POST' ? tokenPathOf(req.url) : undefined;
  if (tokenPath === UPS_TOKEN_PATH) return { status: 200, body: upsTokenBody(req, false) };
  if (tokenPath === UPS_REFRESH_PATH) return { status: 200, body: upsTokenBody(req, true) };
  if (tokenPath === FEDEX_TOKEN_PATH) return { status: 200, body: await fedexTokenBody() };
  return { status: 200, body: {} };
}

function validate(spec: ContractSpec, req: RecordedRequest, opts?: ContractOptions): ContractResult {
  return validateRequest(spec, req, opts);
}

/** The recorded form body with some fields removed. */
const withoutFormFields = (req: RecordedRequest, ...names: string[]) =>
  withFormFields(req, Object.fromEntries(names.map((name) => [name, null])));

const carrier = useStandInCarrier(standIn);

const requestsTo = (path: string) => carrier.requests.filter((req) => pathOf(req.url) === path);
const apiRequests = () => carrier.requests.filter((req) => tokenPathOf(req.url) === undefined);

function upsAccount(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'ups-contract',
    carrier: 'ups',
    urls: { token: `${carrier.url}${UPS_TOKEN_PATH}`, api: carrier.url },
    credentials: { ...UPS },
    ...extra,
  };
}

function fedexAccount(extra: Record<string, unknown> = {}, apiBase = carrier.url): Record<string, unknown> {
  return {
    id: 'fedex-contract',
    carrier: 'fedex',
    urls: { token: `${carrier.url}${FEDEX_TOKEN_PATH}`, api: apiBase },
    credentials: { ...FEDEX },
    ...extra,
  };
}

/** Runs one proxied request through a fresh gateway; the token request(s) it causes are recorded. */
async function throughGateway(
  account: Record<string, unknown>,
  path: string,
  init: ProxyCall = {},
  after?: (gw: TestGateway) => Promise<void>,
): Promise<void> {
  const gw = await startTestGateway({ name: 'contract', clientKey: CLIENT_KEY, accounts: [account] });
  try {
    await proxyToStandIn(gw, CLIENT_KEY, account.id as string, path, init);
    if (after) await after(gw);
  } finally {
    await gw.close();
  }
}

const UPS_TRACK_PATH = '/api/track/v1/details/1Z12345E0205271688';
const FEDEX_TRACK_BODY = JSON.stringify({
  includeDetailedScans: true,
  trackingInfo: [{ trackingNumberInfo: { trackingNumber: '128667043726', carrierCode: 'FDXE' } }],
});

describeContract('gateway token requests against the carriers OAuth specs', () => {
  const specs = useSpecs({
    upsClientCredentials: 'ups/OAuthClientCredentials.yaml',
    upsAuthCode: 'ups/OAuthAuthCode.yaml',
    fedexAuth: 'fedex/APIAuthorization-Resource.json',
  });

  it('UPS client_credentials: Basic auth and a form body, no x-merchant-id when none is configured', async () => {
    await throughGateway(upsAccount(), UPS_TRACK_PATH);
    const token = only(requestsTo(UPS_TOKEN_PATH), 'UPS token request');
    expectValid(validate(specs.upsClientCredentials, token), 'CreateToken');

    expect(token.method).toBe('POST');
    expect(token.headers['content-type']).toBe(FORM);
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from(`${UPS.clientId}:${UPS.clientSecret}`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({ grant_type: 'client_credentials' });
    expect(token.headers['x-merchant-id']).toBeUndefined();
    // The refresh endpoint is for authorization-code accounts only.
    expect(requestsTo(UPS_REFRESH_PATH)).toEqual([]);
  });

  it('UPS client_credentials with merchantId sends it as the x-merchant-id header', async () => {
    await throughGateway(upsAccount({ credentials: { ...UPS, merchantId: '123456' } }), UPS_TRACK_PATH);
    const token = only(requestsTo(UPS_TOKEN_PATH), 'UPS token request');
    expectValid(validate(specs.upsClientCredentials, token), 'CreateToken');
    expect(token.headers['x-merchant-id']).toBe('123456');
    // The merchant id is a header, never a form field.
    expect(new URLSearchParams(token.body).has('x-merchant-id')).toBe(false);
  });

  it('negative control (OAuthClientCredentials.yaml): the recorded request fails without Basic auth or grant_type', async () => {
    await throughGateway(upsAccount(), UPS_TRACK_PATH);
    const token = only(requestsTo(UPS_TOKEN_PATH), 'UPS token request');
    expect(validate(specs.upsClientCredentials, withoutHeaders(token, 'authorization')).errors).toEqual([
      "security: no declared alternative is satisfied (BasicAuth: expected 'authorization: Basic <base64(id:secret)>')",
    ]);
    // A gateway that put the grant somewhere else (here: renamed) loses the required field.
    const renamed = { ...token, body: token.body.replace('grant_type=', 'granttype=') };
    expect(validate(specs.upsClientCredentials, renamed).errors).toEqual([
      "body: must have required property 'grant_type'",
    ]);
    expect(validate(specs.upsClientCredentials, { ...token, body: '' }).errors).toEqual([
      'body: required by the spec but missing',
    ]);
  });

  it('UPS authorization_code: the seed refresh token goes to /security/v1/oauth/refresh (OAuthAuthCode.yaml), and so does its rotated successor', async () => {
    const account = upsAccount({
      grant: 'authorization_code',
      credentials: { ...UPS, refreshToken: UPS_SEED_REFRESH },
    });
    const issuedBefore = issued.refreshTokens.length;
    await throughGateway(account, UPS_TRACK_PATH, {}, async (gw) => {
      // A forced refresh (the carrier rejected the token) must present the rotated refresh token.
      const manager = gw.gateway.engine.manager('ups-contract');
      const current = manager.peek();
      expect(current).toBeDefined();
      await manager.invalidate(current!.accessToken);
    });

    expect(requestsTo(UPS_TOKEN_PATH)).toEqual([]);
    const refreshes = requestsTo(UPS_REFRESH_PATH);
    expect(refreshes).toHaveLength(2);
    for (const refresh of refreshes) {
      expectValid(validate(specs.upsAuthCode, refresh), 'RefreshToken');
      expect(refresh.headers.authorization).toBe(
        `Basic ${Buffer.from(`${UPS.clientId}:${UPS.clientSecret}`).toString('base64')}`,
      );
      expect(refresh.headers['content-type']).toBe(FORM);
    }
    const presented = refreshes.map((req) => Object.fromEntries(new URLSearchParams(req.body)));
    expect(presented[0]).toEqual({ grant_type: 'refresh_token', refresh_token: UPS_SEED_REFRESH });
    expect(presented[1]).toEqual({
      grant_type: 'refresh_token',
      refresh_token: issued.refreshTokens[issuedBefore],
    });
  });

  it('negative control (OAuthAuthCode.yaml): the recorded refresh fails without refresh_token or Basic auth', async () => {
    const account = upsAccount({
      grant: 'authorization_code',
      credentials: { ...UPS, refreshToken: UPS_SEED_REFRESH },
    });
    await throughGateway(account, UPS_TRACK_PATH);
    const refresh = only(requestsTo(UPS_REFRESH_PATH), 'UPS refresh request');
    expect(validate(specs.upsAuthCode, withoutFormFields(refresh, 'refresh_token')).errors).toEqual([
      "body: must have required property 'refresh_token'",
    ]);
    const noAuth = validate(specs.upsAuthCode, withoutHeaders(refresh, 'authorization'));
    expect(noAuth.ok).toBe(false);
    expect(noAuth.errors.join('\n')).toMatch(/^security: no declared alternative is satisfied/);
  });

  it('UPS authorization_code behind a path prefix: the refresh goes next to the configured token URL', async () => {
    // An egress proxy or a mock that mounts UPS under /ups-cie: every UPS path keeps the prefix.
    const base = `${carrier.url}/ups-cie`;
    const account = upsAccount({
      grant: 'authorization_code',
      urls: { token: `${base}${UPS_TOKEN_PATH}`, api: base },
      credentials: { ...UPS, refreshToken: UPS_SEED_REFRESH },
    });
    await throughGateway(account, UPS_TRACK_PATH);
    const call = only(apiRequests(), 'tracking call');
    expect(call.url).toBe(`/ups-cie${UPS_TRACK_PATH}`);

    const refresh = only(
      carrier.requests.filter((req) => tokenPathOf(req.url) === UPS_REFRESH_PATH),
      'UPS refresh request',
    );
    expect(pathOf(refresh.url)).toBe(`/ups-cie${UPS_REFRESH_PATH}`);
    expectValid(validate(specs.upsAuthCode, refresh, { serverBase: base }), 'RefreshToken');
  });

  it('FedEx client_credentials: client_id and client_secret in the form body, no Basic header', async () => {
    await throughGateway(fedexAccount(), '/track/v1/trackingnumbers', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: FEDEX_TRACK_BODY,
    });
    const token = only(requestsTo(FEDEX_TOKEN_PATH), 'FedEx token request');
    expectValid(validate(specs.fedexAuth, token), 'API Authorization');
    expect(token.headers['content-type']).toBe(FORM);
    expect(token.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: FEDEX.clientId,
      client_secret: FEDEX.clientSecret,
    });
  });

  it('FedEx csp_credentials: childKey/childSecret are sent as child_Key/child_secret', async () => {
    await throughGateway(
      fedexAccount({ grant: 'csp_credentials', credentials: { ...FEDEX, ...FEDEX_CHILD } }),
      '/track/v1/trackingnumbers',
      { method: 'POST', headers: { 'content-type': JSON_TYPE }, body: FEDEX_TRACK_BODY },
    );
    const token = only(requestsTo(FEDEX_TOKEN_PATH), 'FedEx token request');
    expectValid(validate(specs.fedexAuth, token), 'API Authorization');
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'csp_credentials',
      client_id: FEDEX.clientId,
      client_secret: FEDEX.clientSecret,
      // APIAuthorization-Resource.json spells the key field with a capital K.
      child_Key: FEDEX_CHILD.childKey,
      child_secret: FEDEX_CHILD.childSecret,
    });
  });

  it('negative control (APIAuthorization-Resource.json): the recorded request fails without client_secret or content-type', async () => {
    await throughGateway(fedexAccount(), '/track/v1/trackingnumbers', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: FEDEX_TRACK_BODY,
    });
    const token = only(requestsTo(FEDEX_TOKEN_PATH), 'FedEx token request');
    expect(validate(specs.fedexAuth, withoutFormFields(token, 'client_secret')).errors).toEqual([
      "body: must have required property 'client_secret'",
    ]);
    expect(validate(specs.fedexAuth, withoutHeaders(token, 'content-type')).errors).toContain(
      'header content-type: required by the spec but missing',
    );
  });
});

describeContract('gateway carrier API calls against the carriers API specs', () => {
  const specs = useSpecs({
    upsTracking: 'ups/Tracking.yaml',
    upsAddressValidation: 'ups/AddressValidation.yaml',
    fedexAddresses: 'fedex/Addresses-Resource.json',
    fedexTracking: 'fedex/TrackingNumbers-Resource.json',
  });

  /** The gateway replaced the client's key with the carrier token, and the key went nowhere. */
  function expectCarrierBearer(req: RecordedRequest): void {
    expect(req.headers.authorization).toBe(`Bearer ${issued.accessTokens.at(-1)}`);
    for (const value of Object.values(req.headers)) expect(value).not.toContain(CLIENT_KEY);
    expect(req.body).not.toContain(CLIENT_KEY);
  }

  it('UPS tracking GET: the gateway adds transId/transactionSrc and the Bearer token (Tracking.yaml)', async () => {
    const path = `${UPS_TRACK_PATH}?locale=en_US&returnSignature=false`;
    await throughGateway(upsAccount(), path, {}, (gw) =>
      proxyToStandIn(gw, CLIENT_KEY, 'ups-contract', path),
    );
    const calls = apiRequests();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expectValid(validate(specs.upsTracking, call), 'getSingleTrackResponseUsingGET');
      expect(call.method).toBe('GET');
      expect(call.url).toBe(path);
      expectCarrierBearer(call);
      // Karrio-style unique id per request; UPS Rating/Shipping cap transId at 32 characters.
      expect(call.headers.transid).toMatch(/^[0-9a-f]{32}$/);
      expect(call.headers.transactionsrc).toBe('carrier-gateway');
    }
    expect(calls[0]!.headers.transid).not.toBe(calls[1]!.headers.transid);
    // One token served both calls.
    expect(requestsTo(UPS_TOKEN_PATH)).toHaveLength(1);
  });

  it('UPS tracking GET keeps transId and transactionSrc the client chose', async () => {
    await throughGateway(upsAccount(), UPS_TRACK_PATH, {
      headers: { transId: 'client-trans-0001', transactionSrc: 'shop-app' },
    });
    const call = only(apiRequests(), 'tracking call');
    expectValid(validate(specs.upsTracking, call), 'getSingleTrackResponseUsingGET');
    expect(call.headers.transid).toBe('client-trans-0001');
    expect(call.headers.transactionsrc).toBe('shop-app');
  });

  it('negative control (Tracking.yaml): the recorded call fails without transId or without the Bearer token', async () => {
    await throughGateway(upsAccount(), UPS_TRACK_PATH);
    const call = only(apiRequests(), 'tracking call');
    expect(validate(specs.upsTracking, withoutHeaders(call, 'transid', 'transactionsrc')).errors).toEqual([
      'header transId: required by the spec but missing',
      'header transactionSrc: required by the spec but missing',
    ]);
    expect(validate(specs.upsTracking, withoutHeaders(call, 'authorization')).errors).toEqual([
      "security: no declared alternative is satisfied (OAuth2: expected 'authorization: Bearer <token>')",
    ]);
  });

  const XAV_BODY = JSON.stringify({
    XAVRequest: {
      AddressKeyFormat: {
        AddressLine: ['26601 ALISO CREEK ROAD'],
        PoliticalDivision2: 'ALISO VIEJO',
        PoliticalDivision1: 'CA',
        PostcodePrimaryLow: '92656',
        CountryCode: 'US',
      },
    },
  });

  it('UPS address validation POST: body untouched, Bearer token added (AddressValidation.yaml)', async () => {
    await throughGateway(upsAccount(), '/api/addressvalidation/v2/1?regionalrequestindicator=False', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: XAV_BODY,
    });
    const call = only(apiRequests(), 'address validation call');
    expectValid(validate(specs.upsAddressValidation, call), 'AddressValidation');
    expect(call.method).toBe('POST');
    expect(call.body).toBe(XAV_BODY);
    expect(call.headers['content-type']).toBe(JSON_TYPE);
    expectCarrierBearer(call);
  });

  it('negative control (AddressValidation.yaml): the recorded call fails without the Bearer token or with a broken body', async () => {
    await throughGateway(upsAccount(), '/api/addressvalidation/v2/1', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: XAV_BODY,
    });
    const call = only(apiRequests(), 'address validation call');
    expect(validate(specs.upsAddressValidation, withoutHeaders(call, 'authorization')).errors).toEqual([
      "security: no declared alternative is satisfied (OAuth2: expected 'authorization: Bearer <token>')",
    ]);
    const truncated = validate(specs.upsAddressValidation, { ...call, body: call.body.slice(0, -5) });
    expect(truncated.ok).toBe(false);
    expect(truncated.errors[0]).toMatch(/^body: not valid JSON/);
  });

  const FEDEX_ADDRESS_BODY = JSON.stringify({
    addressesToValidate: [
      {
        address: {
          streetLines: ['7372 PARKRIDGE BLVD', 'APT 286'],
          city: 'IRVING',
          stateOrProvinceCode: 'TX',
          postalCode: '75063-8659',
          countryCode: 'US',
        },
      },
    ],
  });

  it('FedEx address resolve POST under a mounted API base (Addresses-Resource.json, serverBase)', async () => {
    const apiBase = `${carrier.url}/fedex-gw`;
    await throughGateway(fedexAccount({}, apiBase), '/address/v1/addresses/resolve', {
      method: 'POST',
      headers: {
        'content-type': JSON_TYPE,
        'x-locale': 'en_US',
        'x-customer-transaction-id': 'shop-tx-42',
      },
      body: FEDEX_ADDRESS_BODY,
    });
    const call = only(apiRequests(), 'address resolve call');
    expect(call.url).toBe('/fedex-gw/address/v1/addresses/resolve');
    expectValid(validate(specs.fedexAddresses, call, { serverBase: apiBase }), 'Validate Address');
    expect(call.body).toBe(FEDEX_ADDRESS_BODY);
    expect(call.headers['x-locale']).toBe('en_US');
    expect(call.headers['x-customer-transaction-id']).toBe('shop-tx-42');
    expectCarrierBearer(call);
    // FedEx takes no UPS transaction headers.
    expect(call.headers.transid).toBeUndefined();
  });

  it('negative control (Addresses-Resource.json): the recorded call fails without authorization or outside the base path', async () => {
    const apiBase = `${carrier.url}/fedex-gw`;
    await throughGateway(fedexAccount({}, apiBase), '/address/v1/addresses/resolve', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: FEDEX_ADDRESS_BODY,
    });
    const call = only(apiRequests(), 'address resolve call');
    expect(
      validate(specs.fedexAddresses, withoutHeaders(call, 'authorization'), { serverBase: apiBase }).errors,
    ).toEqual(['header authorization: required by the spec but missing']);
    // Without the base the gateway was given, the path is not a FedEx path at all.
    expect(validate(specs.fedexAddresses, call).ok).toBe(false);
  });

  it('FedEx tracking POST: body untouched, Bearer token added (TrackingNumbers-Resource.json)', async () => {
    await throughGateway(fedexAccount(), '/track/v1/trackingnumbers', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE, 'x-locale': 'en_US' },
      body: FEDEX_TRACK_BODY,
    });
    const call = only(apiRequests(), 'tracking call');
    expectValid(validate(specs.fedexTracking, call), 'Track by Tracking Number');
    expect(call.body).toBe(FEDEX_TRACK_BODY);
    expectCarrierBearer(call);
  });

  it('negative control (TrackingNumbers-Resource.json): the recorded call fails without content-type or authorization', async () => {
    await throughGateway(fedexAccount(), '/track/v1/trackingnumbers', {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: FEDEX_TRACK_BODY,
    });
    const call = only(apiRequests(), 'tracking call');
    expect(validate(specs.fedexTracking, withoutHeaders(call, 'content-type')).errors).toContain(
      'header content-type: required by the spec but missing',
    );
    expect(validate(specs.fedexTracking, withoutHeaders(call, 'authorization')).errors).toEqual([
      'header authorization: required by the spec but missing',
    ]);
  });
});
