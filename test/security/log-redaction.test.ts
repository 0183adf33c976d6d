/**
 * @module test/security/log-redaction
 * The logger's redaction, the second line of defence behind "never log a credential": the
 * credential fields are censored at the top level of a log object and one level down, and
 * request-shaped `headers.authorization` / `headers.cookie` too. Each test logs into a memory
 * stream and reads the JSON lines back, and checks that ordinary fields still get through.
 */
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { REDACTED_PATHS } from '../../src/platform/log.js';
import { memoryLogger as inMemory, registerSecrets } from '../support/log-capture.js';

const SECRET = 'very-secret-value-0123456789';
// Only memory streams see it here; registered so the suite-wide scan would catch it anywhere else.
registerSecrets(SECRET);

/** A memory logger (test/support/log-capture.ts) that can hand back its one line parsed. */
function memoryLogger() {
  const { log, lines } = inMemory();
  return {
    log,
    lines,
    /** The one line logged so far, parsed. */
    only(): Record<string, unknown> {
      expect(lines).toHaveLength(1);
      return JSON.parse(lines[0]!) as Record<string, unknown>;
    },
  };
}

const FIELDS = ['accessToken', 'refreshToken', 'clientSecret', 'apiKey', 'authorization'];
const SNAKE_AND_OTHER = ['access_token', 'refresh_token', 'client_secret', 'password'];

describe('log redaction', () => {
  it.each([...FIELDS, ...SNAKE_AND_OTHER])('censors %s at the top level', (field) => {
    const { log, lines, only } = memoryLogger();
    log.info({ [field]: SECRET, account: 'ups-main' }, 'hello');
    const entry = only();
    expect(entry[field]).toBe('[redacted]');
    expect(entry.account).toBe('ups-main');
    expect(lines[0]).not.toContain(SECRET);
  });

  it.each([...FIELDS, ...SNAKE_AND_OTHER])('censors %s one level deep', (field) => {
    const { log, lines, only } = memoryLogger();
    log.info({ token: { [field]: SECRET, generation: 3 }, account: 'ups-main' }, 'hello');
    const entry = only() as { token: Record<string, unknown> };
    expect(entry.token[field]).toBe('[redacted]');
    expect(entry.token.generation).toBe(3);
    expect(lines[0]).not.toContain(SECRET);
  });

  it('censors all the fields together, in a child logger too', () => {
    const { log, lines } = memoryLogger();
    const child = log.child({ component: 'token-manager' });
    const values = Object.fromEntries(FIELDS.map((field, index) => [field, `${SECRET}-${index}`]));
    child.warn({ ...values, nested: { ...values } }, 'everything at once');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'token-manager', msg: 'everything at once' });
  });

  it('censors request-shaped headers: authorization and cookie, top level and one level deep', () => {
    const { log, lines } = memoryLogger();
    log.info(
      {
        headers: {
          authorization: `Bearer ${SECRET}`,
          cookie: `session=${SECRET}`,
          accept: 'application/json',
        },
        req: { headers: { authorization: `Basic ${SECRET}` } },
      },
      'request',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    const entry = JSON.parse(lines[0]!) as {
      headers: Record<string, string>;
      req: { headers: Record<string, string> };
    };
    expect(entry.headers).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      accept: 'application/json',
    });
    expect(entry.req.headers.authorization).toBe('[redacted]');
  });

  it('leaves a message string alone (redaction is by key, so code must not interpolate secrets)', () => {
    // Documents the limit of the second line of defence: the first line is not to log values.
    const { log, only } = memoryLogger();
    log.info({ account: 'ups-main' }, 'refreshed');
    expect(only()).toMatchObject({ account: 'ups-main', msg: 'refreshed', level: 30 });
  });

  it('writes every field as pino with the same redaction does (scalars skip the redactor)', () => {
    const ours = memoryLogger();
    const plain: string[] = [];
    const reference = pino(
      { level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          plain.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          callback();
        },
      }),
    );
    const fields = {
      text: 'quote " backslash \\ newline \n tab \t nul \u0000 é 😀 \ud800',
      empty: '',
      count: 3,
      ratio: -0.125,
      huge: 1e21,
      infinite: Number.POSITIVE_INFINITY,
      yes: true,
      no: false,
      nothing: null,
      list: [1, 'two', { generation: 1 }],
      token: { accessToken: SECRET, generation: 3 },
      headers: { authorization: SECRET, accept: 'application/json' },
      accessToken: SECRET,
      password: 12345678,
    };
    for (const [logger, child] of [
      [ours.log, ours.log.child({ component: 'x', flag: true, n: 2 })],
      [reference, reference.child({ component: 'x', flag: true, n: 2 })],
    ] as const) {
      logger.info(fields, 'fields');
      child.warn({ ...fields, extra: 'child' }, 'child fields');
    }
    const withoutTime = (line: string) => line.replace(/"time":\d+,/, '');
    expect(ours.lines.map(withoutTime)).toEqual(plain.map(withoutTime));
    expect(ours.lines.join('\n')).not.toContain(SECRET);
  });
});
