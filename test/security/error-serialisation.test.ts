/**
 * @module test/security/error-serialisation
 * A `GatewayError` may carry the carrier's raw body for debugging (`withUpstreamBody`), but that
 * body must stay out of every serialised form: `JSON.stringify`, the problem+json rendering and
 * pino's error serialiser, whichever way the error is handed to the logger.
 */
import { describe, expect, it } from 'vitest';

import { GatewayError, toProblem } from '../../src/core/errors.js';
import type { createLogger } from '../../src/platform/log.js';
import { memoryLogger } from '../support/log-capture.js';

/** Stands in for what a carrier might echo: its message text and a credential. */
const MARKER = 'UPSTREAM-BODY-MARKER';
const UPSTREAM_BODY = {
  response: {
    errors: [{ code: '10401', message: `${MARKER} ClientId is Invalid for client_secret=s3cr3t` }],
  },
};

function carrierFailure(): GatewayError {
  return new GatewayError('ERR_TOKEN_INVALID_CLIENT', undefined, {
    account: 'ups-main',
    carrierCode: '10401',
    upstreamStatus: 401,
    detail: 'HTTP 401, carrier error 10401',
  }).withUpstreamBody(UPSTREAM_BODY);
}

describe('GatewayError serialisation', () => {
  it('keeps the upstream body on the error for code that asks for it', () => {
    const error = carrierFailure();
    // The debugging value is real, so its absence below is a decision, not a missing feature.
    expect(error.upstreamBody).toEqual(UPSTREAM_BODY);
    expect(Object.keys(error)).not.toContain('upstreamBody');
  });

  it('JSON.stringify keeps code and carrierCode but not the upstream body', () => {
    const json = JSON.stringify(carrierFailure());
    expect(JSON.parse(json)).toMatchObject({ code: 'ERR_TOKEN_INVALID_CLIENT', carrierCode: '10401' });
    expect(json).not.toContain(MARKER);
    expect(json).not.toContain('s3cr3t');
    expect(json).not.toContain('upstreamBody');
  });

  it('the problem rendering leaves the upstream body out', () => {
    const problem = JSON.stringify(toProblem(carrierFailure()));
    expect(problem).toContain('10401');
    expect(problem).not.toContain(MARKER);
  });

  it('a cause chain does not bring the body back', () => {
    const wrapped = new GatewayError('ERR_INTERNAL', undefined, { cause: carrierFailure() });
    expect(JSON.stringify(wrapped)).not.toContain(MARKER);
  });

  it.each([
    [
      'as err',
      (log: ReturnType<typeof createLogger>, error: Error) => log.error({ err: error }, 'token failed'),
    ],
    ['as the only argument', (log: ReturnType<typeof createLogger>, error: Error) => log.error(error)],
    [
      'under another key',
      (log: ReturnType<typeof createLogger>, error: Error) => log.warn({ error }, 'failed'),
    ],
    [
      'as the cause of another error',
      (log: ReturnType<typeof createLogger>, error: Error) =>
        log.error({ err: new GatewayError('ERR_INTERNAL', undefined, { cause: error }) }, 'refresh gave up'),
    ],
  ])('pino logging %s omits the upstream body', (_name, write) => {
    const { log, lines } = memoryLogger();
    write(log, carrierFailure());
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    // The useful part is logged (code, or the cause's title in the message chain), so the checks
    // below do not pass on an empty line.
    expect(line).toMatch(/ERR_TOKEN_INVALID_CLIENT|Carrier rejected the client credentials/);
    expect(line).not.toContain(MARKER);
    expect(line).not.toContain('s3cr3t');
  });
});
