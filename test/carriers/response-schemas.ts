/**
 * @module test/carriers/response-schemas
 * A carrier spec's response schemas as validators, for checking that every simulator answer
 * (success and each fault) is what the spec says the carrier sends. The published document is
 * given to ajv whole (draft-07, formats; OpenAPI annotations ignored), and a schema is addressed
 * by its name under `components.schemas`.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

import { loadSpec } from '../support/openapi-contract.js';

// ajv-formats is CommonJS with `exports.default`.
const addFormats = addFormatsModule.default;

export async function responseSchemas(specFile: string): Promise<(name: string, body: unknown) => void> {
  const errorsOf = await responseErrors(specFile);
  return (name, body) => {
    const errors = errorsOf(name, body);
    expect(errors, `${name}: ${JSON.stringify(errors)}`).toEqual([]);
  };
}

/**
 * The same validators answering each complaint as `<instance path>: <message>`, for answers where
 * the spec contradicts itself and the test names the complaints it allows.
 */
export async function responseErrors(specFile: string): Promise<(name: string, body: unknown) => string[]> {
  const spec = await loadSpec(specFile);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, multipleOfPrecision: 6 });
  addFormats(ajv);
  ajv.addSchema({ ...(structuredClone(spec.document) as Record<string, unknown>), $id: 'spec' });
  return (name, body) => {
    const validate = ajv.getSchema(`spec#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} in ${specFile}`);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message ?? ''}`);
  };
}
