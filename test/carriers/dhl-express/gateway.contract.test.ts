/**
 * @module test/carriers/dhl-express/gateway.contract.test
 *
 * Owns the proof that what the gateway puts on the wire for a `dhl-express` account is what DHL's
 * published MyDHL API document (dhl/dpdhl-express-api-3.1.1_swagger.yaml) accepts: the proxied
 * `GET /address-validate`, `GET /shipments/{shipmentTrackingNumber}/tracking` and `POST /shipments`
 * are recorded by a stand-in carrier (answering 200 `{}`) and validated as they arrived, on the
 * production base `/mydhlapi` and the test base `/mydhlapi/test` (both are `servers` paths of the
 * spec, so no `serverBase` is needed). Each validation has a negative control (no `x-version`, no
 * Basic, an over-long Message-Reference, a broken query or body), so a pass means something.
 *
 * The same file checks the other direction for the simulator: its answers, success and error, are
 * validated with ajv against the response schemas the spec declares for them.
 */
import { randomUUID } from 'node:crypto';

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';

import {
  DHL_EXPRESS_RESOURCES,
  DHL_EXPRESS_TEST_WAYBILLS,
  dhlExpressExampleShipment,
  startDhlExpressSimulator,
  type DhlExpressSimulatorHandle,
} from '../../../carriers/dhl-express/simulator.js';
import {
  expectValid,
  only,
  proxyToStandIn,
  useStandInCarrier,
  withoutHeaders,
  type ProxyCall,
} from '../../support/contract-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractSpec,
  type JsonObject,
} from '../../support/openapi-contract.js';
import { type RecordedRequest } from '../../support/recording-server.js';
import { startTestGateway, type TestGateway } from '../../support/test-gateway.js';

// ajv-formats is CommonJS with `exports.default` (see test/support/openapi-contract.ts).
const addFormats = addFormatsModule.default;

const SPEC_FILE = 'dhl/dpdhl-express-api-3.1.1_swagger.yaml';
const CLIENT_KEY = `dhlx-contract-shop-key-${randomUUID()}`;
const DHL = { clientId: 'dhlx-contract-api-key', clientSecret: `dhlx-contract-secret-${randomUUID()}` };
const BASIC = `Basic ${Buffer.from(`${DHL.clientId}:${DHL.clientSecret}`).toString('base64')}`;
registerSecrets(CLIENT_KEY, DHL.clientSecret, BASIC.slice('Basic '.length));

const WAYBILL = DHL_EXPRESS_TEST_WAYBILLS[0]!;
const PROBE = `${DHL_EXPRESS_RESOURCES.addressValidate}?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague`;
const BASIC_MISSING =
  "security: no declared alternative is satisfied (basicAuth: expected 'authorization: Basic <base64(id:secret)>')";
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const carrier = useStandInCarrier();
let gateway: TestGateway;

beforeAll(async () => {
  const accounts = [
    { id: 'dhlx', carrier: 'dhl-express', urls: { api: `${carrier.url}/mydhlapi` }, credentials: DHL },
    {
      id: 'dhlx-test',
      carrier: 'dhl-express',
      urls: { api: `${carrier.url}/mydhlapi/test` },
      credentials: DHL,
    },
  ];
  gateway = await startTestGateway({ name: 'dhlx-contract', clientKey: CLIENT_KEY, accounts });
});
afterAll(() => gateway?.close());

/** One proxied call; returns the one request the stand-in carrier received for it. */
async function throughGateway(account: string, path: string, init: ProxyCall = {}): Promise<RecordedRequest> {
  await proxyToStandIn(gateway, CLIENT_KEY, account, path, init);
  return only(carrier.requests, 'call at the carrier');
}

/** The gateway swapped the shop's key for DHL's Basic credentials and added the MyDHL headers. */
function expectMyDhlHeaders(req: RecordedRequest): void {
  expect(req.headers.authorization).toBe(BASIC);
  expect(req.headers['x-version']).toBe('3.1.0');
  expect(req.headers['message-reference']!.length).toBeGreaterThanOrEqual(1);
  expect(req.headers['message-reference']!.length).toBeLessThanOrEqual(36);
  expect(req.headers['message-reference-date']).toMatch(HTTP_DATE);
  for (const value of Object.values(req.headers)) expect(value).not.toContain(CLIENT_KEY);
  expect(req.body).not.toContain(CLIENT_KEY);
}

describeContract(`gateway calls to the MyDHL API against ${SPEC_FILE}`, () => {
  let spec: ContractSpec;
  beforeAll(async () => {
    spec = await loadSpec(SPEC_FILE);
  }, 30_000);

  it('GET /address-validate (the probe): Basic, x-version, Message-Reference, as the spec asks', async () => {
    const call = await throughGateway('dhlx', PROBE);
    expectValid(validateRequest(spec, call), 'exp-api-address-validate');
    expect(call.method).toBe('GET');
    expect(call.url).toBe(`/mydhlapi${PROBE}`);
    expectMyDhlHeaders(call);
  });

  it('negative control (address-validate): fails without x-version, without Basic, or with a 37-character reference', async () => {
    const call = await throughGateway('dhlx', PROBE);
    expect(validateRequest(spec, withoutHeaders(call, 'x-version')).errors).toEqual([
      'header x-version: required by the spec but missing',
    ]);
    expect(validateRequest(spec, withoutHeaders(call, 'authorization')).errors).toEqual([BASIC_MISSING]);
    const bearer = { ...call, headers: { ...call.headers, authorization: `Bearer ${randomUUID()}` } };
    expect(validateRequest(spec, bearer).errors).toEqual([BASIC_MISSING]);
    const long = { ...call, headers: { ...call.headers, 'message-reference': 'x'.repeat(37) } };
    expect(validateRequest(spec, long).errors).toEqual([
      'header Message-Reference: must NOT have more than 36 characters',
    ]);
    const noType = { ...call, url: '/mydhlapi/address-validate?countryCode=CZ' };
    expect(validateRequest(spec, noType).errors).toEqual(['query type: required by the spec but missing']);
  });

  it("GET /shipments/{n}/tracking: valid with the spec's own query options; the client's reference is kept", async () => {
    const path = `${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}?trackingView=all-checkpoints&levelOfDetail=all`;
    const reference = 'd0e7832e-5c98-11ea-bc55-0242ac13'; // the spec's Message-Reference example
    const call = await throughGateway('dhlx', path, { headers: { 'message-reference': reference } });
    expectValid(validateRequest(spec, call), 'exp-api-shipments-tracking');
    expect(call.url).toBe(`/mydhlapi${path}`);
    expect(call.headers['message-reference']).toBe(reference);
    expect(call.headers.authorization).toBe(BASIC);
    expect(call.headers['x-version']).toBe('3.1.0');
  });

  it('negative control (tracking): fails without Basic, without x-version, or with a trackingView outside the enum', async () => {
    const call = await throughGateway('dhlx', DHL_EXPRESS_RESOURCES.tracking(WAYBILL));
    expectValid(validateRequest(spec, call), 'exp-api-shipments-tracking');
    expectMyDhlHeaders(call);
    expect(validateRequest(spec, withoutHeaders(call, 'authorization', 'x-version')).errors).toEqual([
      'header x-version: required by the spec but missing',
      BASIC_MISSING,
    ]);
    const badView = { ...call, url: `${call.url}?trackingView=shipment-details` };
    expect(validateRequest(spec, badView).errors).toEqual([
      'query trackingView: must be equal to one of the allowed values ["all-checkpoints","all-checkpoints-with-remarks","last-checkpoint","shipment-details-only","advance-shipment","bbx-children"]',
    ]);
  });

  it('the test base /mydhlapi/test is a spec server too: tracking there validates as sent', async () => {
    const call = await throughGateway('dhlx-test', DHL_EXPRESS_RESOURCES.tracking(WAYBILL));
    expect(call.url).toBe(`/mydhlapi/test/shipments/${WAYBILL}/tracking`);
    expectValid(validateRequest(spec, call), 'exp-api-shipments-tracking');
    expectMyDhlHeaders(call);
  });

  it('POST /shipments: a CreateShipmentRequest valid per the spec, body untouched, headers added', async () => {
    const body = JSON.stringify(dhlExpressExampleShipment());
    const call = await throughGateway('dhlx', DHL_EXPRESS_RESOURCES.shipments, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expectValid(validateRequest(spec, call), 'exp-api-shipments');
    expect(call.method).toBe('POST');
    expect(call.url).toBe('/mydhlapi/shipments');
    expect(call.body).toBe(body);
    expect(call.headers['content-type']).toBe('application/json');
    expectMyDhlHeaders(call);
  });

  it('negative control (shipments): fails without x-version, without Basic, or without productCode', async () => {
    const withoutProduct = dhlExpressExampleShipment();
    delete withoutProduct['productCode'];
    const call = await throughGateway('dhlx', DHL_EXPRESS_RESOURCES.shipments, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dhlExpressExampleShipment()),
    });
    expect(validateRequest(spec, withoutHeaders(call, 'x-version')).errors).toEqual([
      'header x-version: required by the spec but missing',
    ]);
    expect(validateRequest(spec, withoutHeaders(call, 'authorization')).errors).toEqual([BASIC_MISSING]);
    expect(validateRequest(spec, { ...call, body: JSON.stringify(withoutProduct) }).errors).toEqual([
      "body: must have required property 'productCode'",
    ]);
  });
});

describeContract(`simulator answers against the response schemas of ${SPEC_FILE}`, () => {
  let sim: DhlExpressSimulatorHandle;
  let schemas: (name: string) => ValidateFunction;

  beforeAll(async () => {
    const spec = await loadSpec(SPEC_FILE);
    // The four schemas used here are plain JSON Schema (no `nullable`, no boolean exclusive bounds),
    // so ajv reads them as published; `example` and the other annotations are ignored (strict: false).
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, multipleOfPrecision: 6 });
    addFormats(ajv);
    ajv.addSchema({ ...(structuredClone(spec.document) as JsonObject), $id: 'mydhl' });
    schemas = (name) => {
      const validate = ajv.getSchema(`mydhl#/components/schemas/${name}`);
      if (!validate) throw new Error(`no schema ${name} in ${SPEC_FILE}`);
      return validate;
    };
    sim = await startDhlExpressSimulator({ clients: [DHL] });
  }, 30_000);
  afterAll(async () => {
    await sim?.close();
  });

  async function answer(path: string, init: ProxyCall = {}, headers: Record<string, string> = {}) {
    const response = await fetch(`${sim.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: BASIC, 'x-version': '3.1.0', ...init.headers, ...headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  function expectSchema(name: string, body: unknown): void {
    const validate = schemas(name);
    const ok = validate(body);
    expect(validate.errors ?? [], `${name}: ${JSON.stringify(validate.errors)}`).toEqual([]);
    expect(ok).toBe(true);
  }

  it('address-validate 200 is a supermodelIoLogisticsExpressAddressValidateResponse', async () => {
    const reply = await answer(`/mydhlapi${PROBE}`);
    expect(reply.status).toBe(200);
    expectSchema('supermodelIoLogisticsExpressAddressValidateResponse', reply.body);
  });

  it('tracking 200 (every level of detail) is a supermodelIoLogisticsExpressTrackingResponse', async () => {
    for (const query of [
      '',
      '?levelOfDetail=piece',
      '?levelOfDetail=all&trackingView=shipment-details-only',
    ]) {
      const reply = await answer(`/mydhlapi${DHL_EXPRESS_RESOURCES.tracking(WAYBILL)}${query}`);
      expect(reply.status).toBe(200);
      expectSchema('supermodelIoLogisticsExpressTrackingResponse', reply.body);
    }
  });

  it('shipments 201 is a supermodelIoLogisticsExpressCreateShipmentResponse', async () => {
    const reply = await answer('/mydhlapi/shipments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(dhlExpressExampleShipment()),
    });
    expect(reply.status).toBe(201);
    expectSchema('supermodelIoLogisticsExpressCreateShipmentResponse', reply.body);
  });

  it('every error answer (401, 400, 404, 405, 422, 429, 500, 503) is a supermodelIoLogisticsExpressErrorResponse', async () => {
    const errors = [
      await answer(
        `/mydhlapi${PROBE}`,
        {},
        { authorization: `Basic ${Buffer.from('x:y').toString('base64')}` },
      ),
      await answer(`/mydhlapi${PROBE}`, {}, { 'message-reference': 'x'.repeat(37) }),
      await answer(`/mydhlapi${DHL_EXPRESS_RESOURCES.tracking('0000000000')}`),
      await answer('/mydhlapi/shipments'),
      await answer('/mydhlapi/shipments', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ];
    await sim.setFaults({ throttle: { count: 1 } });
    errors.push(await answer(`/mydhlapi${PROBE}`));
    await sim.setFaults({ tokenServerErrors: 1, tokenServerErrorStatus: 500 });
    errors.push(await answer(`/mydhlapi${PROBE}`));
    await sim.setFaults({ tokenServerErrors: 1, tokenServerErrorStatus: 503 });
    errors.push(await answer(`/mydhlapi${PROBE}`));
    expect(errors.map((reply) => reply.status)).toEqual([401, 400, 404, 405, 422, 429, 500, 503]);
    for (const reply of errors) expectSchema('supermodelIoLogisticsExpressErrorResponse', reply.body);
  });

  it("negative control: the schema refuses a numeric status and the spec's own 500 example with `code`", () => {
    const validate = schemas('supermodelIoLogisticsExpressErrorResponse');
    expect(validate({ instance: '/expressapi/shipments', title: 'Bad request', status: 400 })).toBe(false);
    // [MYDHL-SPEC] the "Process Error" examples send `code: '500'`, which additionalProperties: false forbids.
    expect(validate({ instance: '/expressapi/shipments', title: 'Internal Server Error', code: '500' })).toBe(
      false,
    );
    expect(
      schemas('supermodelIoLogisticsExpressTrackingResponse')({ shipments: [{ status: 'Success' }] }),
    ).toBe(false);
  });
});
