/**
 * @module test/http/openapi.test
 * `/openapi.json` is the API as registered: every route of a full gateway's hono app (admin keys,
 * onboarding, metrics, shipments configured) is in the document with its method, the pass-through
 * is too, every documented example (request bodies, answers, problems) validates against its
 * schema with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses), the live answers of the readable
 * routes validate against the schemas documented for them, every problem code is documented
 * somewhere, and a problem's `type` resolves to the code's section of `/docs/errors`.
 */
import { randomUUID } from 'node:crypto';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ERROR_CODES } from '../../src/core/errors.js';
import { templatePath } from '../../src/http/openapi-route.js';
import { callGateway } from '../support/gateway-client.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

// ajv-formats is CommonJS with `exports.default` (see test/support/openapi-contract.ts).
const addFormats = addFormatsModule.default;

const CLIENT_KEY = `openapi-client-${randomUUID()}`;
const ADMIN_KEY = `openapi-admin-${randomUUID()}`;

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  security: Json[];
  requestBody?: { content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: Json; example?: unknown; examples?: Json }> }
  >;
}

let sims: ShippingSimulators;
let gw: TestGateway;
let document: { openapi: string; paths: Record<string, Record<string, Operation>>; components: Json };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** The component a `$ref` names, or the schema itself. */
function resolve(schema: Json): Json {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const path = ref.replace('#/', '').split('/');
  return path.reduce<Json>((node, key) => node[key] as Json, document as unknown as Json);
}

function operations(): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, string, Operation] => [path, method, op]),
  );
}

function expectValid(schema: Json, value: unknown, where: string): void {
  const validate = ajv.compile(resolve(schema));
  expect(validate(value), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

beforeAll(async () => {
  sims = await startShippingSimulators('openapi');
  gw = await startTestGateway({
    name: 'openapi',
    clientKey: CLIENT_KEY,
    admins: [{ id: 'oncall', apiKey: ADMIN_KEY }],
    config: { publicUrl: 'http://127.0.0.1:1' },
    accounts: [sims.upsMain(), sims.fedexMain()],
  });
  const reply = await callGateway(gw, '/openapi.json');
  expect(reply.status).toBe(200);
  document = reply.body as typeof document;
});

afterAll(() => closeTestGatewaysAnd(sims));

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with unique operation ids', () => {
    expect(document.openapi).toBe('3.1.0');
    const ids = operations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has every route the gateway's app registered, with its method, and the pass-through", () => {
    const registered = gw.gateway.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${templatePath(route.path)}`);
    expect(registered.length).toBeGreaterThan(15);
    const documented = new Set(operations().map(([path, method]) => `${method} ${path}`));
    const missing = registered.filter((route) => !documented.has(route));
    expect(
      missing,
      'routes registered without a doc: export a RouteDoc next to the handler and register it with documented() (src/http/openapi-route.ts)',
    ).toEqual([]);
    for (const method of ['get', 'post', 'put', 'patch', 'delete'])
      expect(documented.has(`${method} /v1/carriers/{accountId}/{path}`)).toBe(true);
  });

  it('validates every documented example against its schema', () => {
    let checked = 0;
    for (const [path, method, op] of operations()) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (media.example === undefined) continue;
        expectValid(media.schema, media.example, `${method} ${path} request ${type}`);
        checked += 1;
      }
      for (const [status, answer] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(answer.content ?? {})) {
          if (media.example !== undefined) {
            expectValid(media.schema, media.example, `${method} ${path} ${status} ${type}`);
            checked += 1;
          }
          for (const [name, example] of Object.entries(media.examples ?? {})) {
            expectValid(
              media.schema,
              (example as { value: unknown }).value,
              `${method} ${path} ${status} ${name}`,
            );
            checked += 1;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('documents every problem code a request can get (the configuration one is a start-up error)', () => {
    const text = JSON.stringify(document.paths);
    const missing = ERROR_CODES.filter(
      (code) => code !== 'ERR_CONFIG_INVALID' && !text.includes(`"code":"${code}"`),
    );
    expect(missing).toEqual([]);
  });

  it('describes the live answers of the readable routes', async () => {
    const reads: [string, string | undefined][] = [
      ['/healthz', undefined],
      ['/readyz', undefined],
      ['/v1/accounts', CLIENT_KEY],
      ['/v1/health/carriers', ADMIN_KEY],
      ['/v1/health/carriers/{id}', CLIENT_KEY],
      ['/v1/admin/audit', ADMIN_KEY],
    ];
    for (const [path, key] of reads) {
      const reply = await callGateway(gw, path.replace('{id}', 'ups-main'), key !== undefined ? { key } : {});
      expect(reply.status, path).toBe(200);
      const schema = document.paths[path]!['get']!.responses['200']!.content!['application/json']!.schema;
      expectValid(schema, reply.body, `live GET ${path}`);
    }
  });

  it("validates a live problem against the Problem schema, and its type resolves to the code's section", async () => {
    const reply = await callGateway(gw, '/v1/accounts', { key: 'wrong-key-123456' });
    expectValid({ $ref: '#/components/schemas/Problem' }, reply.body, 'live problem');
    const type = (reply.body as { type: string }).type;
    expect(type).toBe('/docs/errors#ERR_UNAUTHENTICATED');
    const page = await callGateway(gw, type.split('#')[0]!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    for (const code of ERROR_CODES) expect(page.text).toContain(`<section id="${code}">`);
  });
});
