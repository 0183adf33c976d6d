/**
 * @module test/carriers/dhl-parcel-de/gateway.contract.test
 *
 * Owns the proof that what the gateway puts on the wire for a `dhl-parcel-de` account is what
 * DHL's published OpenAPI documents accept: the token request against
 * dhl/pp-account-auth-ropc_0.yaml, the proxied `/hello` against the same file, and the proxied
 * Shipping calls against dhl/parcel-de-shipping-v2_2.yaml. A recording server stands in for DHL
 * (the token endpoint answers a DHL-shaped token, everything else 200 `{}`). Each validation has a
 * negative control, so a pass means something.
 *
 * The ROPC file gets one operation's security wrong, and the tests say so rather than hide it:
 * its file-wide `security: bearerAuth` also covers `POST /token`, where no token can exist yet.
 * The token request is validated against the published file (that security line must be the only
 * complaint) and against a copy, patched in memory and named as such, whose `/token` security is
 * what the operation's own description says: every credential in the form body.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { beforeAll, expect, it } from 'vitest';

import {
  expectValid,
  only,
  pathOf,
  throughFreshGateway,
  useSpecs,
  useStandInCarrier,
  withFormFields,
  withoutHeaders,
} from '../../support/contract-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  describeContract,
  loadSpec,
  specFromDocument,
  validateRequest,
  type ContractSpec,
  type JsonObject,
} from '../../support/openapi-contract.js';
import { type RecordedRequest } from '../../support/recording-server.js';

const CLIENT_KEY = `dhl-contract-shop-key-${randomUUID()}`;
const DHL = { clientId: 'dhl-contract-app-key', clientSecret: `dhl-contract-secret-${randomUUID()}` };
const GKP = { username: 'gkp-contract-user', password: `gkp-contract-pw-${randomUUID()}` };
registerSecrets(CLIENT_KEY, DHL.clientSecret, GKP.password);

const TOKEN_PATH = '/parcel/de/account/auth/ropc/v1/token';
const HELLO_PATH = '/parcel/de/account/auth/ropc/v1/hello';
const ORDERS_PATH = '/parcel/de/shipping/v2/orders';
const FORM = 'application/x-www-form-urlencoded';

const issuedTokens: string[] = [];

const carrier = useStandInCarrier((req) => {
  if (req.method !== 'POST' || pathOf(req.url) !== TOKEN_PATH) return { status: 200, body: {} };
  // pp-account-auth-ropc_0.yaml TokenResponse example: 28 alphanumerics, Bearer, integer 1799.
  const token = randomBytes(21).toString('base64url').replace(/[-_]/g, 'x');
  registerSecrets(token);
  issuedTokens.push(token);
  return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 1799 } };
});
const tokenRequests = () => carrier.requests.filter((req) => pathOf(req.url) === TOKEN_PATH);
const apiRequests = () => carrier.requests.filter((req) => pathOf(req.url) !== TOKEN_PATH);

/** One proxied call through a fresh embedded-mode gateway; the stand-in's answer comes back. */
const throughGateway = throughFreshGateway(CLIENT_KEY, carrier, 'dhl-contract', 'dhl-parcel-de', TOKEN_PATH, {
  ...DHL,
  ...GKP,
});

/** A copy of a published document with one edit, named so every failure message says so. */
function patched(spec: ContractSpec, what: string, edit: (document: JsonObject) => void): ContractSpec {
  const document = structuredClone(spec.document) as JsonObject;
  edit(document);
  return specFromDocument(`${spec.file} (${what})`, document);
}

/** The gateway swapped the shop's key for the DHL token and forwarded no dhl-api-key next to it. */
function expectDhlBearer(req: RecordedRequest): void {
  expect(req.headers.authorization).toBe(`Bearer ${issuedTokens.at(-1)}`);
  expect(req.headers['dhl-api-key']).toBeUndefined();
  for (const value of Object.values(req.headers)) expect(value).not.toContain(CLIENT_KEY);
  expect(req.body).not.toContain(CLIENT_KEY);
}

describeContract('gateway token request against dhl/pp-account-auth-ropc_0.yaml', () => {
  let ropc: ContractSpec;
  /** `POST /token` without the file-wide bearerAuth: its description puts every credential in the body. */
  let ropcToken: ContractSpec;
  let token: RecordedRequest;
  beforeAll(async () => {
    ropc = await loadSpec('dhl/pp-account-auth-ropc_0.yaml');
    ropcToken = patched(ropc, 'POST /token with security: []', (document) => {
      ((document.paths as JsonObject)['/token'] as { post: JsonObject }).post.security = [];
    });
    carrier.clear();
    await throughGateway(HELLO_PATH);
    token = only(tokenRequests(), 'token request');
  });

  it('the password grant with all five fields in the form body and no Authorization header', () => {
    expectValid(validateRequest(ropcToken, token), 'DispenseToken');
    expect(token.method).toBe('POST');
    expect(token.headers['content-type']).toBe(FORM);
    expect(token.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'password',
      username: GKP.username,
      password: GKP.password,
      client_id: DHL.clientId,
      client_secret: DHL.clientSecret,
    });
  });

  it('against the published file, the global bearerAuth on /token is the only complaint', () => {
    expect(validateRequest(ropc, token).errors).toEqual([
      "security: no declared alternative is satisfied (bearerAuth: expected 'authorization: bearer <credentials>')",
    ]);
  });

  it('negative control: the recorded request fails without client_secret or username, or with another grant', () => {
    expect(validateRequest(ropcToken, withFormFields(token, { client_secret: null })).errors).toEqual([
      "body: must have required property 'client_secret'",
    ]);
    expect(validateRequest(ropcToken, withFormFields(token, { username: null })).errors).toEqual([
      "body: must have required property 'username'",
    ]);
    expect(
      validateRequest(ropcToken, withFormFields(token, { grant_type: 'client_credentials' })).errors,
    ).toEqual(['body/grant_type: must be equal to one of the allowed values ["password"]']);
    const asJson = { ...token, headers: { ...token.headers, 'content-type': 'application/json' } };
    expect(validateRequest(ropcToken, asJson).errors).toEqual([
      "header content-type: 'application/json' is not accepted (spec accepts application/x-www-form-urlencoded)",
    ]);
  });
});

describeContract('gateway calls to DHL Parcel DE APIs against their specs', () => {
  const specs = useSpecs({
    ropc: 'dhl/pp-account-auth-ropc_0.yaml',
    shipping: 'dhl/parcel-de-shipping-v2_2.yaml',
  });

  it('GET /hello carries the Bearer token and no dhl-api-key, even when the shop sent one', async () => {
    await throughGateway(HELLO_PATH, { headers: { 'dhl-api-key': DHL.clientId } });
    const hello = only(apiRequests(), '/hello call');
    expectValid(validateRequest(specs.ropc, hello), 'hello');
    expect(hello.method).toBe('GET');
    expect(hello.url).toBe(HELLO_PATH);
    expectDhlBearer(hello);
    expect(only(tokenRequests(), 'token request')).toBeDefined();
  });

  it('negative control (/hello): the recorded call fails without its Bearer token', async () => {
    await throughGateway(HELLO_PATH);
    const hello = only(apiRequests(), '/hello call');
    expect(validateRequest(specs.ropc, withoutHeaders(hello, 'authorization')).errors).toEqual([
      "security: no declared alternative is satisfied (bearerAuth: expected 'authorization: bearer <credentials>')",
    ]);
  });

  it("POST /orders with the spec's own DHLPaket example: body untouched, Bearer added", async () => {
    const examples = (specs.shipping.document.components as JsonObject).examples as JsonObject;
    const body = JSON.stringify((examples['DHLPaket'] as JsonObject)['value']);
    const path = `${ORDERS_PATH}?includeDocs=include&docFormat=PDF&printFormat=910-300-700`;
    await throughGateway(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const call = only(apiRequests(), 'orders call');
    // Satisfies the file's OAuth2 alternative (password flow, tokenUrl /parcel/de/account/auth/ropc/v1/token).
    expectValid(validateRequest(specs.shipping, call), 'createOrders');
    expect(call.url).toBe(path);
    expect(call.body).toBe(body);
    expect(call.headers['content-type']).toBe('application/json');
    expectDhlBearer(call);
  });

  it('negative control (/orders): fails without the Bearer token, without shipments, or with a bad includeDocs', async () => {
    const body = JSON.stringify({ profile: 'STANDARD_GRUPPENPROFIL', shipments: [{ product: 'V01PAK' }] });
    await throughGateway(ORDERS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const call = only(apiRequests(), 'orders call');
    expectValid(validateRequest(specs.shipping, call), 'createOrders');
    expect(validateRequest(specs.shipping, withoutHeaders(call, 'authorization')).errors).toEqual([
      "security: no declared alternative is satisfied (ApiKey: expected header 'dhl-api-key'; or BasicAuth: expected 'authorization: Basic <base64(id:secret)>'; or OAuth2: expected 'authorization: Bearer <token>')",
    ]);
    const noShipments = { ...call, body: JSON.stringify({ profile: 'STANDARD_GRUPPENPROFIL' }) };
    expect(validateRequest(specs.shipping, noShipments).errors).toEqual([
      "body: must have required property 'shipments'",
    ]);
    const badQuery = { ...call, url: `${ORDERS_PATH}?includeDocs=pdf` };
    expect(validateRequest(specs.shipping, badQuery).errors).toEqual([
      'query includeDocs: must be equal to one of the allowed values ["include","URL"]',
    ]);
  });

  it('GET / (version) needs no authentication: valid against the published file as sent', async () => {
    await throughGateway('/parcel/de/shipping/v2/');
    const call = only(apiRequests(), 'version call');
    expectValid(validateRequest(specs.shipping, call), 'rootGet');
    // Not even its absence matters there (security: []).
    expectValid(validateRequest(specs.shipping, withoutHeaders(call, 'authorization')), 'rootGet');
    // Control: the same path under another API is not a Shipping operation.
    expect(validateRequest(specs.shipping, { ...call, url: '/parcel/de/returns/v1/' }).ok).toBe(false);
  });
});
