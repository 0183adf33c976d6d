/**
 * @module test/carriers/response-schemas
 * A carrier spec's response schemas as validators, for checking that every simulator answer
 * (success and each fault) is what the spec says the carrier sends. The published document is
 * given to ajv whole (draft-07, formats; OpenAPI annotations ignored). An answer is checked
 * against the schema the spec declares for its operation, status and media type (following a
 * `components/responses` reference); where the spec declares none, the case names the schema it
 * is held to (and says why in the simulator).
 *
 * `describeResponseSchemas` runs one table per carrier: each case provokes one answer from the
 * carrier's simulator (a shipment, changed headers, or one of the kit's shipment faults) with the
 * label call the adapter builds, and checks its status and body.
 */
import { randomUUID } from 'node:crypto';

import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';

import type { ShipmentRequest } from '../../src/core/shipment.js';
import type { ShipmentFaultKind } from '../../src/sim/index.js';
import { describeContract, loadSpec } from '../support/openapi-contract.js';
import { multipartParts } from '../support/sim-http.js';
import type { CarrierHarness, StartedSimulator } from './harnesses.js';

// ajv-formats is CommonJS with `exports.default`.
const addFormats = addFormatsModule.default;

type JsonObject = Record<string, unknown>;

/** RFC 6901: `~` and `/` escaped, then the fragment's URI escaping. */
const pointer = (...tokens: string[]) =>
  tokens.map((token) => encodeURIComponent(token.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

/** Where the carrier's observed answer departs from its own schema, and the source that shows it. */
export interface KnownDeviation {
  /** The instance path (or paths, for one deviation that shows in several fields). */
  instancePath: string | string[];
  source: string;
}

export interface ResponseSchemas {
  /** Checks a body against `components/schemas/<name>`. */
  named(name: string, body: unknown, deviation?: KnownDeviation): void;
  /**
   * Checks a body against what the spec declares for this operation, status and media type (the
   * first JSON media type when this one is not declared). Fails when nothing is declared.
   */
  declared(
    operation: { method: string; path: string },
    status: number,
    mediaType: string,
    body: unknown,
    deviation?: KnownDeviation,
  ): void;
}

export async function responseSchemas(specFile: string): Promise<ResponseSchemas> {
  const spec = await loadSpec(specFile);
  const document = structuredClone(spec.document) as JsonObject;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, multipleOfPrecision: 6 });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: 'spec' });

  const check = (ref: string, body: unknown, deviation?: KnownDeviation) => {
    const validate = ajv.getSchema(`spec#${ref}`);
    if (!validate) throw new Error(`no schema at ${ref} in ${specFile}`);
    const ok = validate(body) as boolean;
    const errors = validate.errors ?? [];
    const allowed = [deviation?.instancePath ?? []].flat();
    const others = errors.filter((error) => !allowed.includes(error.instancePath));
    expect(others, `${ref}: ${JSON.stringify(others)}`).toEqual([]);
    if (deviation === undefined) expect(ok).toBe(true);
    // A known deviation must still be there: once the simulator follows the schema, drop it.
    if (deviation !== undefined) expect(errors.length, deviation.source).toBeGreaterThan(0);
  };

  return {
    named: (name, body, deviation) => check(`/${pointer('components', 'schemas', name)}`, body, deviation),
    declared({ method, path }, status, mediaType, body, deviation) {
      const responses = (
        ((document['paths'] as JsonObject)[path] as JsonObject | undefined)?.[method] as
          JsonObject | undefined
      )?.['responses'] as JsonObject | undefined;
      if (responses === undefined) throw new Error(`no operation ${method} ${path} in ${specFile}`);
      const key = String(status) in responses ? String(status) : 'default';
      let at = `/${pointer('paths', path, method, 'responses', key)}`;
      let response = responses[key] as JsonObject | undefined;
      const ref = response?.['$ref'];
      if (typeof ref === 'string') {
        at = ref.slice(1);
        const [, , name] = ref.slice(2).split('/');
        response = ((document['components'] as JsonObject)['responses'] as JsonObject)[name!] as JsonObject;
      }
      const content = response?.['content'] as JsonObject | undefined;
      const media =
        content === undefined
          ? undefined
          : mediaType in content
            ? mediaType
            : Object.keys(content).find((type) => type.includes('json'));
      expect(media, `${specFile} declares no JSON body for ${method} ${path} ${status}`).toBeDefined();
      check(`${at}/${pointer('content', media!, 'schema')}`, body, deviation);
    },
  };
}

/** One answer to provoke from the simulator. */
export interface AnswerCase {
  what: string;
  /** Default: the table's shipment. */
  shipment?: ShipmentRequest;
  /** Laid over the headers the core would send. */
  headers?: Record<string, string>;
  /** One of the kit's shipment faults, for this one call. */
  fault?: ShipmentFaultKind;
  status: number;
  /** The schema by name, where the spec declares no body for this status (UNVERIFIED in the simulator). */
  undeclared?: string;
  /** The one place the carrier's observed answer departs from the schema (docs/carriers/unverified.md). */
  deviation?: KnownDeviation;
}

export interface ResponseTable<Settings> {
  harness: CarrierHarness<Settings>;
  specFile: string;
  /** The label operation as the spec names it (path template, lower-case method). */
  operation: { method: string; path: string };
  shipment: ShipmentRequest;
  cases: AnswerCase[];
  /**
   * For a carrier whose answers may be multipart: the part (Content-ID) that holds the JSON the
   * spec's schema describes, and where the spec says so. A multipart answer without this fails.
   */
  jsonPart?: { id: string; source: string };
}

/** The JSON an answer holds and its media type: the body, or the table's JSON part of a multipart one. */
function answerJson(
  table: Pick<ResponseTable<unknown>, 'jsonPart'>,
  contentType: string,
  bytes: Buffer,
): { mediaType: string; body: unknown } {
  const mediaOf = (type: string) => type.split(';')[0]!.trim();
  if (!mediaOf(contentType).startsWith('multipart/'))
    return { mediaType: mediaOf(contentType), body: JSON.parse(bytes.toString('utf8')) as unknown };
  expect(table.jsonPart, `a multipart answer (${contentType}) where none is expected`).toBeDefined();
  const part = multipartParts(contentType, bytes).get(table.jsonPart!.id);
  expect(part, `no ${table.jsonPart!.id} part (${table.jsonPart!.source})`).toBeDefined();
  return { mediaType: mediaOf(part!.type), body: JSON.parse(part!.bytes.toString('utf8')) as unknown };
}

export function describeResponseSchemas<Settings>(table: ResponseTable<Settings>): void {
  const { harness, specFile, operation } = table;
  describeContract(`${harness.carrier} simulator answers against the response schemas of ${specFile}`, () => {
    let started: StartedSimulator;
    let schemas: ResponseSchemas;
    beforeAll(async () => {
      schemas = await responseSchemas(specFile);
      started = await harness.start();
    }, 30_000);
    afterAll(() => started?.close());

    it.each(table.cases)('$what: $status as declared', async (answer) => {
      const built = harness.adapter.build({
        shipment: answer.shipment ?? table.shipment,
        settings: harness.settings,
        carrierIdempotencyKey: randomUUID(),
        shipmentId: `shp_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      });
      if (answer.fault !== undefined)
        await started.sim.setFaults({ shipmentFault: { kind: answer.fault, count: 1 } });
      try {
        const response = await fetch(`${started.base}/${built.path}`, {
          method: built.method,
          headers: { ...started.headers(built), ...answer.headers },
          body: built.body,
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        expect(response.status, bytes.toString('latin1').slice(0, 2000)).toBe(answer.status);
        const { mediaType, body } = answerJson(table, response.headers.get('content-type') ?? '', bytes);
        if (answer.undeclared !== undefined) schemas.named(answer.undeclared, body, answer.deviation);
        else schemas.declared(operation, answer.status, mediaType, body, answer.deviation);
      } finally {
        await started.sim.resetFaults();
      }
    });
  });
}

/**
 * Each complaint of `components/schemas/<name>` about a body, as `<instance path>: <message>`, for
 * answers where the spec contradicts itself and the test names the complaints it allows.
 */
export async function responseErrors(specFile: string): Promise<(name: string, body: unknown) => string[]> {
  const spec = await loadSpec(specFile);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, multipleOfPrecision: 6 });
  addFormats(ajv);
  ajv.addSchema({ ...(structuredClone(spec.document) as JsonObject), $id: 'spec' });
  return (name, body) => {
    const validate = ajv.getSchema(`spec#/${pointer('components', 'schemas', name)}`);
    if (!validate) throw new Error(`no schema ${name} in ${specFile}`);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message ?? ''}`);
  };
}
