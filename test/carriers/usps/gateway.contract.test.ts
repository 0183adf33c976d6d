/**
 * @module test/carriers/usps/gateway.contract.test
 *
 * Owns the proof that what the gateway puts on the wire for a `usps` account is what the USPS
 * OpenAPI documents (../shared/carrier-specs/usps) accept: a real embedded-mode gateway is
 * pointed at a recording server standing in for USPS (the token endpoint answers a USPS-shaped
 * token body, every API 200 `{}`); a client request goes through the proxy and the carrier API
 * call the gateway made is validated as recorded. Each spec gets negative controls: the same
 * recorded request, broken the way a faulty gateway or client would break it, must fail.
 *
 * The token request itself has no contract test here: the USPS OAuth 2.0 spec was not saved in
 * ../shared/carrier-specs (only a Markdown-escaped copy exists, see SOURCES.md there), so there
 * is nothing to validate it against. Its shape is asserted against the facts file in
 * test/carriers/usps/gateway.test.ts instead.
 */
import { randomUUID } from 'node:crypto';

import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, expect, it } from 'vitest';

import { uspsExampleLabelRequest } from '../../../carriers/usps/simulator.js';
import {
  expectValid,
  pathOf,
  throughFreshGateway,
  useSpecs,
  useStandInCarrier,
  withoutHeaders,
} from '../../support/contract-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import { describeContract, validateRequest } from '../../support/openapi-contract.js';
import { type RecordedRequest, type RecordedResponse } from '../../support/recording-server.js';
import { USPS_PAYMENT_ROLES } from './fixtures.js';

const CLIENT_KEY = `usps-contract-shop-key-${randomUUID()}`;
const USPS = { clientId: 'usps-contract-client', clientSecret: `usps-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, USPS.clientSecret);

const TOKEN_PATH = '/oauth2/v3/token';
const JSON_TYPE = 'application/json';
const CITY_STATE = '/addresses/v3/city-state?ZIPCode=10001';
const PAYMENT_AUTHORIZATION = '/payments/v3/payment-authorization';
const LABEL = '/labels/v3/label';

/** [USPS-PAY] MinimumPaymentAuthorizationRequest. */
const PAYMENT_BODY = JSON.stringify({
  roles: USPS_PAYMENT_ROLES,
});

const LABEL_BODY = JSON.stringify(uspsExampleLabelRequest());

/** What a client got from the payments API earlier; the gateway passes it through as a header. */
const PAYMENT_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"contract"}').toString('base64url')}.c2ln`;
const IDEMPOTENCY_KEY = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
registerSecrets(PAYMENT_TOKEN);

/** Access tokens the stand-in issued, in order. */
const issued: string[] = [];
let signingKey: CryptoKey;

/**
 * A USPS client-credentials token body as the spec example and a 2025 response show it:
 * RS256 JWT, numeric issued_at (ms) and expires_in 28799 ([USPS-OAUTH], [USPS-I84]).
 */
async function uspsTokenBody(): Promise<Record<string, unknown>> {
  const accessToken = await new SignJWT({ scope: 'addresses payments labels', azp: USPS.clientId })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer('https://keyc.usps.com/realms/USPS')
    .setIssuedAt()
    .setExpirationTime('28799s')
    .sign(signingKey);
  registerSecrets(accessToken);
  issued.push(accessToken);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    issued_at: Date.now(),
    expires_in: 28799,
    status: 'approved',
    scope: 'addresses payments labels',
    issuer: 'https://keyc.usps.com/realms/USPS',
    client_id: USPS.clientId,
  };
}

async function standIn(req: RecordedRequest): Promise<RecordedResponse> {
  if (req.method === 'POST' && pathOf(req.url) === TOKEN_PATH)
    return { status: 200, body: await uspsTokenBody() };
  return { status: 200, body: {} };
}

beforeAll(async () => {
  signingKey = (await generateKeyPair('RS256')).privateKey;
});
const carrier = useStandInCarrier(standIn);

/** One client request through a fresh embedded-mode gateway with one usps account. */
const throughGateway = throughFreshGateway(CLIENT_KEY, carrier, 'usps-contract', 'usps', TOKEN_PATH, USPS);

/** A label POST with the payment token and an idempotency key, as USPS received it through the gateway. */
async function labelCall(): Promise<RecordedRequest> {
  await throughGateway(LABEL, {
    method: 'POST',
    headers: {
      'content-type': JSON_TYPE,
      'X-Payment-Authorization-Token': PAYMENT_TOKEN,
      'X-Idempotency-Key': IDEMPOTENCY_KEY,
    },
    body: LABEL_BODY,
  });
  return apiCall();
}

/** The one carrier API call (not the token request) the gateway made. */
function apiCall(): RecordedRequest {
  const calls = carrier.requests.filter((req) => pathOf(req.url) !== TOKEN_PATH);
  expect(calls, 'expected exactly one carrier API call').toHaveLength(1);
  expect(carrier.requests.filter((req) => pathOf(req.url) === TOKEN_PATH)).toHaveLength(1);
  return calls[0]!;
}

/** The gateway replaced the client's key with the carrier token, and the key went nowhere. */
function expectCarrierBearer(req: RecordedRequest): void {
  expect(req.headers.authorization).toBe(`Bearer ${issued.at(-1)}`);
  for (const value of Object.values(req.headers)) expect(value).not.toContain(CLIENT_KEY);
  expect(req.body).not.toContain(CLIENT_KEY);
}

const withBody = (req: RecordedRequest, body: unknown): RecordedRequest => ({
  ...req,
  body: JSON.stringify(body),
});

const NO_BEARER =
  "security: no declared alternative is satisfied (OAuth: expected 'authorization: Bearer <token>')";

describeContract('gateway USPS API calls against the USPS specs', () => {
  const specs = useSpecs({
    addresses: 'usps/addresses.yaml',
    payments: 'usps/payments.yaml',
    labels: 'usps/domestic-labels.yaml',
  });

  it('city-state GET: the probe reaches USPS with the Bearer JWT and the query untouched (addresses.yaml)', async () => {
    await throughGateway(CITY_STATE);
    const call = apiCall();
    expectValid(validateRequest(specs.addresses, call), 'get-city-state');
    expect(call.method).toBe('GET');
    expect(call.url).toBe(CITY_STATE);
    expect(call.body).toBe('');
    expectCarrierBearer(call);
  });

  it('negative control (addresses.yaml): no Bearer token, no or a malformed ZIPCode, no /addresses/v3 prefix', async () => {
    await throughGateway(CITY_STATE);
    const call = apiCall();
    expect(validateRequest(specs.addresses, withoutHeaders(call, 'authorization')).errors).toEqual([
      NO_BEARER,
    ]);
    expect(validateRequest(specs.addresses, { ...call, url: '/addresses/v3/city-state' }).errors).toEqual([
      'query ZIPCode: required by the spec but missing',
    ]);
    expect(
      validateRequest(specs.addresses, { ...call, url: '/addresses/v3/city-state?ZIPCode=1000' }).errors,
    ).toEqual(['query ZIPCode: must match pattern "^\\d{5}$"']);
    // Without the API base path the request is not a USPS Addresses call at all.
    expect(validateRequest(specs.addresses, { ...call, url: '/city-state?ZIPCode=10001' }).errors[0]).toMatch(
      /^no operation in usps\/addresses\.yaml matches GET \/city-state/,
    );
  });

  const postPaymentAuthorization = () =>
    throughGateway(PAYMENT_AUTHORIZATION, {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: PAYMENT_BODY,
    });

  it('payment-authorization POST: the Parties body untouched, Bearer token added (payments.yaml)', async () => {
    await postPaymentAuthorization();
    const call = apiCall();
    expectValid(validateRequest(specs.payments, call), 'post-payments-payment-authorization');
    expect(call.method).toBe('POST');
    expect(call.body).toBe(PAYMENT_BODY);
    expect(call.headers['content-type']).toBe(JSON_TYPE);
    expectCarrierBearer(call);
  });

  it('negative control (payments.yaml): no Bearer token, no roles, an empty roles list, an unknown roleName', async () => {
    await postPaymentAuthorization();
    const call = apiCall();
    expect(validateRequest(specs.payments, withoutHeaders(call, 'authorization')).errors).toEqual([
      NO_BEARER,
    ]);
    expect(validateRequest(specs.payments, withBody(call, {})).errors).toEqual([
      "body: must have required property 'roles'",
    ]);
    expect(validateRequest(specs.payments, withBody(call, { roles: [] })).errors).toEqual([
      'body/roles: must NOT have fewer than 1 items',
    ]);
    const unknownRole = validateRequest(
      specs.payments,
      withBody(call, { roles: [{ roleName: 'BOSS', CRID: '1234' }] }),
    );
    expect(unknownRole.errors).toEqual([
      expect.stringMatching(
        /^body\/roles\/0\/roleName: must be equal to one of the allowed values \["PAYER",/,
      ),
    ]);
  });

  it('label POST: X-Payment-Authorization-Token and X-Idempotency-Key pass through with the body (domestic-labels.yaml)', async () => {
    const call = await labelCall();
    expectValid(validateRequest(specs.labels, call), 'post-label');
    expect(call.body).toBe(LABEL_BODY);
    expect(call.headers['x-payment-authorization-token']).toBe(PAYMENT_TOKEN);
    expect(call.headers['x-idempotency-key']).toBe(IDEMPOTENCY_KEY);
    expectCarrierBearer(call);
  });

  it('negative control (domestic-labels.yaml): no payment token, a non-UUID idempotency key, no toAddress, no Bearer', async () => {
    const call = await labelCall();
    expect(
      validateRequest(specs.labels, withoutHeaders(call, 'x-payment-authorization-token')).errors,
    ).toEqual(['header X-Payment-Authorization-Token: required by the spec but missing']);
    // The idempotency key is optional, so leaving it out is fine; a malformed one is not.
    expectValid(validateRequest(specs.labels, withoutHeaders(call, 'x-idempotency-key')), 'post-label');
    const badKey = validateRequest(specs.labels, {
      ...call,
      headers: { ...call.headers, 'x-idempotency-key': 'retry-1' },
    });
    expect(badKey.errors).toEqual(['header X-Idempotency-Key: must match format "uuid"']);
    const withoutTo = JSON.parse(LABEL_BODY) as Record<string, unknown>;
    delete withoutTo['toAddress'];
    expect(validateRequest(specs.labels, withBody(call, withoutTo)).errors).toEqual([
      "body: must have required property 'toAddress'",
    ]);
    expect(validateRequest(specs.labels, withoutHeaders(call, 'authorization')).errors).toEqual([NO_BEARER]);
  });
});
