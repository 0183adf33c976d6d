/**
 * @module test/tracking/status-tables.test
 * Every carrier's tracking mapping is data that holds together: each code maps to one of the
 * gateway's statuses, every code marked unverified is one of the table's codes, and every
 * unverified code is listed in docs/carriers/unverified.md (so no code is silently invented).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CARRIERS } from '../../carriers/index.js';
import { TRACKING_STATUSES } from '../../src/core/tracking-adapter.js';
import { projectRoot } from '../../src/platform/project-root.js';

const unverified = readFileSync(join(projectRoot(), 'docs/carriers/unverified.md'), 'utf8');
const tables = Object.entries(CARRIERS).flatMap(([carrier, descriptor]) =>
  (descriptor.tracking?.statusTables ?? []).map((table) => ({ carrier, table })),
);

describe('tracking status tables', () => {
  it('exist for UPS, FedEx, USPS, MyDHL and La Poste', () => {
    expect(new Set(tables.map((entry) => entry.carrier))).toEqual(
      new Set(['ups', 'fedex', 'usps', 'dhl-express', 'laposte']),
    );
  });

  it.each(tables.map((entry) => [entry.table.name, entry.table] as const))(
    '%s: known statuses, unverified codes documented',
    (_name, table) => {
      for (const status of Object.values(table.codes)) expect(TRACKING_STATUSES).toContain(status);
      const section = unverified.slice(unverified.indexOf(`### ${table.name}`));
      expect(section.length, `docs/carriers/unverified.md has no section "${table.name}"`).toBeLessThan(
        unverified.length,
      );
      const own = section.slice(
        0,
        section.indexOf('\n### ', 4) === -1 ? undefined : section.indexOf('\n### ', 4),
      );
      for (const code of table.unverified) {
        expect(Object.keys(table.codes)).toContain(code);
        expect(own, `${code} of ${table.name} not in docs/carriers/unverified.md`).toContain(`| \`${code}\``);
      }
    },
  );
});
