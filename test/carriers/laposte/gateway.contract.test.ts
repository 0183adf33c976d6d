/**
 * @module test/carriers/laposte/gateway.contract.test
 *
 * Owns the proof that what the gateway puts on the wire for La Poste group accounts is what the
 * published OpenAPI documents accept: a proxied Suivi GET (`laposte` account, static X-Okapi-Key)
 * against laposte/la-poste-groupe-suivi-openapi.json, and a proxied Colissimo generateLabel /
 * checkGenerateLabel POST (`colissimo` account, static apiKey header) against
 * laposte/colissimo-shipping-openapi.json. A recording server stands in for both (every request
 * 200 `{}`); each validation has negative controls, so a pass means something.
 *
 * The Colissimo document's `servers` is an internal La Poste host whose base path
 * (`/sls-ws/SlsServiceRest`) is not the public one (`/sls-ws/SlsServiceWSRest/2.0`, facts §4b), so
 * its calls are validated by path with `serverBase` set to the account's API base; without it the
 * same recorded call matches nothing, which a test shows.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { colissimoExampleLabelRequest } from '../../../carriers/colissimo/simulator.js';
import {
  expectValid,
  only,
  proxyToStandIn,
  useStandInCarrier,
  withHeaders,
} from '../../support/contract-checks.js';
import { registerSecrets } from '../../support/log-capture.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractSpec,
} from '../../support/openapi-contract.js';
import { type RecordedRequest } from '../../support/recording-server.js';
import { startTestGateway, type TestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `laposte-contract-shop-key-${randomUUID()}`;
const OKAPI_KEY = `okapi-contract-key-${randomUUID()}`;
const COLISSIMO_KEY = `colissimo-contract-key-${randomUUID()}`;
const SHOP_OWN_KEY = `shop-own-carrier-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY, OKAPI_KEY, COLISSIMO_KEY, SHOP_OWN_KEY);

/** The public Colissimo REST base (carriers/colissimo/api.ts; facts §4b). */
const COLISSIMO_BASE = '/sls-ws/SlsServiceWSRest/2.0';
const SUIVI = '/suivi/v2/idships/1A00915820380?lang=fr_FR';
/** [LP-SUIVI] idshipP: "1 to 10, comma separated". */
const SUIVI_MANY = '/suivi/v2/idships/1A00915820380,8K00009775862?lang=en_GB';

/** GenerateLabelRequestV31's required members; the date in the spec's `date-time` format. */
const LABEL_REQUEST = colissimoExampleLabelRequest();

const carrier = useStandInCarrier();
let gateway: TestGateway;
let colissimoServerBase = '';

beforeAll(async () => {
  colissimoServerBase = `${carrier.url}${COLISSIMO_BASE}`;
  const accounts = [
    {
      id: 'laposte',
      carrier: 'laposte',
      urls: { api: carrier.url },
      credentials: { clientId: 'lp-app', clientSecret: OKAPI_KEY },
    },
    {
      id: 'colissimo',
      carrier: 'colissimo',
      urls: { api: colissimoServerBase },
      credentials: { clientId: '800123', clientSecret: COLISSIMO_KEY },
    },
  ];
  gateway = await startTestGateway({ name: 'laposte-contract', clientKey: CLIENT_KEY, accounts });
});
afterAll(() => gateway?.close());

/** One client request through the proxy; returns the single call the stand-in carrier received. */
async function throughGateway(
  account: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RecordedRequest> {
  await proxyToStandIn(gateway, CLIENT_KEY, account, path, init);
  const call = only(carrier.requests, 'carrier call');
  for (const value of Object.values(call.headers)) {
    expect(value).not.toContain(CLIENT_KEY);
    expect(value).not.toContain(SHOP_OWN_KEY);
  }
  expect(call.body).not.toContain(CLIENT_KEY);
  return call;
}

describeContract('gateway Suivi calls against laposte/la-poste-groupe-suivi-openapi.json', () => {
  let suivi: ContractSpec;
  beforeAll(async () => {
    suivi = await loadSpec('laposte/la-poste-groupe-suivi-openapi.json');
  });

  it("GET /idships/{idship}: the account's X-Okapi-Key replaces the shop's, Accept and lang pass untouched", async () => {
    const call = await throughGateway('laposte', SUIVI, {
      headers: { accept: 'application/json', 'x-okapi-key': SHOP_OWN_KEY },
    });
    expectValid(validateRequest(suivi, call), '1.0');
    expect(call.method).toBe('GET');
    expect(call.url).toBe(SUIVI);
    expect(call.headers['x-okapi-key']).toBe(OKAPI_KEY);
    expect(call.headers.accept).toBe('application/json');
    expect(call.headers.authorization).toBeUndefined();
    expect(call.body).toBe('');
  });

  it('several comma-separated idShips in one call are one valid operation too', async () => {
    const call = await throughGateway('laposte', SUIVI_MANY, { headers: { accept: 'application/json' } });
    expectValid(validateRequest(suivi, call), '1.0');
    expect(call.url).toBe(SUIVI_MANY);
  });

  it('negative controls: no X-Okapi-Key, another Accept, an unknown lang, no /suivi/v2 prefix', async () => {
    const call = await throughGateway('laposte', SUIVI, { headers: { accept: 'application/json' } });
    expectValid(validateRequest(suivi, call), '1.0');
    expect(validateRequest(suivi, withHeaders(call, { 'x-okapi-key': null })).errors).toEqual([
      'header X-Okapi-Key: required by the spec but missing',
      "security: no declared alternative is satisfied (OKAPIkey: expected header 'X-Okapi-Key'; or JWT: expected cookie 'access_token')",
    ]);
    expect(validateRequest(suivi, withHeaders(call, { accept: 'application/xml' })).errors).toEqual([
      'header Accept: must be equal to one of the allowed values ["application/json"]',
    ]);
    expect(validateRequest(suivi, withHeaders(call, { accept: null })).errors).toEqual([
      'header Accept: required by the spec but missing',
    ]);
    expect(
      validateRequest(suivi, { ...call, url: '/suivi/v2/idships/1A00915820380?lang=pt_PT' }).errors,
    ).toEqual([
      'query lang: must be equal to one of the allowed values ["fr_FR","en_GB","de_DE","es_ES","it_IT","nl_NL"]',
    ]);
    expect(validateRequest(suivi, { ...call, url: '/idships/1A00915820380' }).ok).toBe(false);
  });
});

describeContract('gateway Colissimo calls against laposte/colissimo-shipping-openapi.json', () => {
  let colissimo: ContractSpec;
  const validate = (req: RecordedRequest) =>
    validateRequest(colissimo, req, { serverBase: colissimoServerBase });
  const post = (operation: string, body: unknown, headers: Record<string, string> = {}) =>
    throughGateway('colissimo', `/${operation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    colissimo = await loadSpec('laposte/colissimo-shipping-openapi.json');
  });

  it("POST generateLabel: the account's apiKey replaces the shop's, the body is untouched", async () => {
    const call = await post('generateLabel', LABEL_REQUEST, { apikey: SHOP_OWN_KEY });
    expectValid(validate(call), 'generateLabel_1');
    expect(call.method).toBe('POST');
    expect(call.url).toBe(`${COLISSIMO_BASE}/generateLabel`);
    expect(call.headers.apikey).toBe(COLISSIMO_KEY);
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toEqual(LABEL_REQUEST);
  });

  it('POST checkGenerateLabel (the probe) is valid as sent', async () => {
    const call = await post('checkGenerateLabel', { letter: LABEL_REQUEST.letter });
    expectValid(validate(call), 'checkGenerateLabel_1');
    expect(call.headers.apikey).toBe(COLISSIMO_KEY);
  });

  it("without serverBase the public path matches nothing: the spec's server is an internal host", async () => {
    const call = await post('generateLabel', LABEL_REQUEST);
    const errors = validateRequest(colissimo, call).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^no operation in laposte\/colissimo-shipping-openapi\.json matches POST \/sls-ws\/SlsServiceWSRest\/2\.0\/generateLabel \(server prefixes: \/sls-ws\/SlsServiceRest;/,
    );
  });

  it('negative controls: no letter, a string offset, a date-only depositDate (the spec example), another content type', async () => {
    const call = await post('generateLabel', LABEL_REQUEST);
    expectValid(validate(call), 'generateLabel_1');
    const noLetter: Record<string, unknown> = { ...LABEL_REQUEST };
    delete noLetter['letter'];
    expect(validate({ ...call, body: JSON.stringify(noLetter) }).errors).toEqual([
      "body: must have required property 'letter'",
    ]);
    const stringX = { ...LABEL_REQUEST, outputFormat: { ...LABEL_REQUEST.outputFormat, x: '0' } };
    expect(validate({ ...call, body: JSON.stringify(stringX) }).errors).toEqual([
      'body/outputFormat/x: must be integer',
    ]);
    // Service.depositDate is `format: date-time`, although its description's example is "2022-06-25".
    const dateOnly = {
      ...LABEL_REQUEST,
      letter: {
        ...LABEL_REQUEST.letter,
        service: { ...LABEL_REQUEST.letter.service, depositDate: '2025-06-02' },
      },
    };
    expect(validate({ ...call, body: JSON.stringify(dateOnly) }).errors).toEqual([
      'body/letter/service/depositDate: must match format "date-time"',
    ]);
    expect(validate(withHeaders(call, { 'content-type': 'text/plain' })).errors).toEqual([
      "header content-type: 'text/plain' is not accepted (spec accepts application/json)",
    ]);
  });
});
