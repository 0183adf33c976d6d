/**
 * @module test/auth/unit/stored-token
 * `withGeneration` is `{ ...token, generation }` written out field by field (so V8 shares one
 * hidden class between the tokens): the same fields, values and order for every optional field.
 */
import { describe, expect, it } from 'vitest';

import type { IssuedToken } from '../../../src/auth/token-response.js';
import { withGeneration } from '../../../src/auth/token-store.js';

const BASE: IssuedToken = { accessToken: 'a', tokenType: 'Bearer', expiresAt: 2e12 + 0.5, obtainedAt: 1e12 };
const OPTIONAL = {
  refreshToken: 'r',
  refreshTokenExpiresAt: 3e12,
  scope: '',
  binding: 'b',
} as const;

describe('withGeneration', () => {
  const names = Object.keys(OPTIONAL) as (keyof typeof OPTIONAL)[];
  const subsets = Array.from({ length: 2 ** names.length }, (_, mask) =>
    names.filter((_name, bit) => (mask >> bit) & 1),
  );

  it.each(subsets.map((subset) => [subset.join(', ') || 'none', subset] as const))(
    'matches the spread with optional fields: %s',
    (_label, subset) => {
      const token: IssuedToken = { ...BASE };
      for (const name of subset) Object.assign(token, { [name]: OPTIONAL[name] });
      expect(Object.entries(withGeneration(token, 7))).toEqual(Object.entries({ ...token, generation: 7 }));
    },
  );

  it('keeps a field present with an undefined value, as the spread does', () => {
    const token: IssuedToken = { ...BASE };
    Object.assign(token, { scope: undefined });
    expect(Object.entries(withGeneration(token, 1))).toEqual(Object.entries({ ...token, generation: 1 }));
  });
});
