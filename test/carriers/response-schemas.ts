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
  const spec = await loadSpec(specFile);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, multipleOfPrecision: 6 });
  addFormats(ajv);
  ajv.addSchema({ ...(structuredClone(spec.document) as Record<string, unknown>), $id: 'spec' });
  return (name, body) => {
    const validate = ajv.getSchema(`spec#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name} in ${specFile}`);
    const ok = validate(body);
    expect(validate.errors ?? [], `${name}: ${JSON.stringify(validate.errors)}`).toEqual([]);
    expect(ok).toBe(true);
  };
}
