/**
 * @module test/docs/error-codes
 * The README's error table and the catalogue in src/core/errors.ts list the same codes with the same
 * statuses: a code missing from the README, or a documented code that no longer exists, fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/core/errors.js';
import { projectRoot } from '../../src/platform/project-root.js';

const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
const documented = new Map(
  [...readme.matchAll(/^\|\s*`(ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((match) => [
    match[1]!,
    Number(match[2]),
  ]),
);

describe('error codes in the README', () => {
  it('documents every code in the catalogue with its status', () => {
    for (const code of ERROR_CODES) {
      expect(documented.get(code), `${code} missing from README.md`).toBe(ERROR_CATALOGUE[code].status);
    }
  });

  it('documents no code that does not exist', () => {
    const unknown = [...documented.keys()].filter((code) => !(code in ERROR_CATALOGUE));
    expect(unknown).toEqual([]);
  });
});
