/**
 * @module test/carriers/error-code-citations.test
 * Every carrier error code the gateway keys on or a simulator emits is cited: it occurs in one of
 * the carrier's spec files in ../shared/carrier-specs, in ../shared/carrier-auth-facts.md, or, in
 * backticks, in docs/carriers/unverified.md. The codes are found two ways:
 * - keyed on: the keys of each descriptor's token `errorCodes`/`refreshErrorCodes` and API
 *   `errorClasses` (what the engine classes failures by);
 * - emitted: the code literals in carriers/<carrier>/*.ts, by the pattern each carrier's error
 *   bodies are written with (its error helper's code argument, a `code:` or `id:` field, a numeric
 *   code leading a detail text), listed in PATTERNS.
 * A code no source has and unverified.md does not list fails here, named with its file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, it } from 'vitest';

import { CARRIERS, type CarrierId } from '../../carriers/index.js';
import { describeContract, expectedSpecsDir } from '../support/openapi-contract.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPECS = expectedSpecsDir();
const read = (file: string) => readFileSync(file, 'utf8');

/** The spec folders each carrier's codes may be cited from. */
const SPEC_DIRS: Record<CarrierId, string[]> = {
  ups: ['ups'],
  fedex: ['fedex'],
  oauth2: [],
  'dhl-parcel-de': ['dhl'],
  'dhl-express': ['dhl'],
  usps: ['usps'],
  laposte: ['laposte'],
  colissimo: ['laposte'],
};

/** RFC 6749 §5.2 error codes, written by every OAuth token endpoint simulator. */
const OAUTH_ERROR = /oauthError\(\s*(?:req,\s*)?\d+,\s*'([^']+)'/g;

/** How each carrier's files write an error code (first capture group = the code). */
const PATTERNS: Record<CarrierId, RegExp[]> = {
  ups: [/upsError\(\s*\d+,\s*'([^']+)'/g, OAUTH_ERROR],
  // fedexError([req,] status, code, ...) and `code:` in tracking bodies; FedEx codes are dotted capitals.
  fedex: [/fedexError\(\s*(?:req,\s*)?\d+,\s*'([^']+)'/g, /\bcode: '([A-Z]+(?:\.[A-Z]+)+)'/g, OAUTH_ERROR],
  oauth2: [OAUTH_ERROR],
  'dhl-parcel-de': [OAUTH_ERROR],
  // MyDHL's numeric codes lead the detail text ("998: ShipTimeStamp ..."); `code` fields hold statuses.
  'dhl-express': [/['"`](\d{3,4}): /g, OAUTH_ERROR],
  // USPS errors[].code values are snake_case words; some subordinate codes are digits.
  usps: [/\bcode: '([a-z][a-z_]+|\d{5}[A-Z]*)'/g, OAUTH_ERROR],
  laposte: [/okapiError\(\s*\d+,\s*'([^']+)'/g, /returnCode: (\d+)/g, OAUTH_ERROR],
  colissimo: [/\berror\(\s*\d+,\s*'([^']+)'/g, /\bid: '(\d+)'/g],
};

interface Found {
  code: string;
  where: string;
}

function emitted(carrier: CarrierId): Found[] {
  const dir = path.join(ROOT, 'carriers', carrier);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      return PATTERNS[carrier].flatMap((pattern) =>
        [...text.matchAll(pattern)].map((match) => ({
          code: match[1]!,
          where: `carriers/${carrier}/${file}`,
        })),
      );
    });
}

function keyedOn(carrier: CarrierId): Found[] {
  const { token, api } = CARRIERS[carrier].data;
  const where = `carriers/${carrier} descriptor`;
  return [
    ...Object.keys(token?.errorCodes ?? {}),
    ...Object.keys(token?.refreshErrorCodes ?? {}),
    ...Object.keys(api.errorClasses ?? {}),
  ].map((code) => ({ code, where }));
}

const specTexts = new Map<string, string>();
function specText(dir: string): string {
  let text = specTexts.get(dir);
  if (text === undefined) {
    const folder = path.join(SPECS, dir);
    text = readdirSync(folder)
      .map((file) => read(path.join(folder, file)))
      .join('\n');
    specTexts.set(dir, text);
  }
  return text;
}

const escape = (code: string) => code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The code as a whole token: not part of a longer code or number. */
const token = (code: string) => new RegExp(`(?<![\\w.])${escape(code)}(?![\\w.])`);

function cited(carrier: CarrierId, code: string): boolean {
  const whole = token(code);
  return (
    SPEC_DIRS[carrier].some((dir) => whole.test(specText(dir))) ||
    whole.test(read(path.join(SPECS, '..', 'carrier-auth-facts.md'))) ||
    // In unverified.md: a code span holding the code as a whole token (`SIM400`, `20007` / `20008`).
    [...read(path.join(ROOT, 'docs/carriers/unverified.md')).matchAll(/`([^`\n]+)`/g)].some((span) =>
      whole.test(span[1]!),
    )
  );
}

const carriers = Object.keys(CARRIERS) as CarrierId[];

describeContract('every carrier error code is cited', () => {
  it.each(carriers)(
    '%s: each code keyed on or emitted is in a spec, the facts, or unverified.md',
    (carrier) => {
      const found = [...keyedOn(carrier), ...emitted(carrier)];
      const uncited = [
        ...new Set(
          found.filter(({ code }) => !cited(carrier, code)).map(({ code, where }) => `${code} (${where})`),
        ),
      ];
      expect(uncited).toEqual([]);
    },
  );

  it('the scan finds the codes it is meant to (the patterns still match the files)', () => {
    const codes = (carrier: CarrierId) => new Set(emitted(carrier).map(({ code }) => code));
    expect([...codes('ups')]).toEqual(expect.arrayContaining(['10401', '20007', 'SIM400']));
    expect([...codes('fedex')]).toEqual(
      expect.arrayContaining(['NOT.AUTHORIZED.ERROR', 'SHIPMENT.VALIDATION.ERROR']),
    );
    expect([...codes('dhl-express')]).toEqual(expect.arrayContaining(['998', '999']));
    expect([...codes('usps')]).toEqual(expect.arrayContaining(['insufficient_scope']));
    expect([...codes('colissimo')]).toEqual(expect.arrayContaining(['30000', 'SIM400']));
    expect([...codes('laposte')]).toEqual(expect.arrayContaining(['UNAUTHORIZED']));
    expect([...codes('oauth2')]).toEqual(expect.arrayContaining(['invalid_client']));
    // An uncited code is caught: one no file has.
    expect(cited('ups', 'SIM-NEVER-CITED-4711')).toBe(false);
  });
});
