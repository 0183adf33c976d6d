/**
 * The access line written directly (src/http/request-trace.ts `AccessLog`) is the line pino would
 * write: same fields, values and order, with the logger's bound fields, as one JSON line; and a
 * level above info writes none.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { AccessLog } from '../../src/http/request-trace.js';
import { createLogger } from '../../src/platform/log.js';
import { eventually } from '../support/eventually.js';

let server: Server | undefined;
afterEach(() => server?.close());

function collector(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines };
}

/** Serves one request through `AccessLog.begin` for each logger, as the gateway's listener does. */
async function serveOnce(loggers: ReturnType<typeof createLogger>[], requestId: string): Promise<void> {
  const logs = loggers.map((log) => new AccessLog(log));
  server = createServer((req, res) => {
    for (const log of logs) {
      const trace = log.begin(req, res);
      trace.route = '/v1/carriers/{accountId}/{path}';
      trace.account = 'ups-"quoted"\\account';
      trace.client = 'shop';
      trace.carrierMs = 12.345;
    }
    res.statusCode = 202;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const answer = await fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-request-id': requestId } });
  await answer.text();
}

describe('the access-log line', () => {
  it('is the line pino writes for the same fields', async () => {
    const direct = collector();
    const throughPino = collector();
    const directLog = createLogger({ name: 'access-test', destination: direct.stream });
    // A multistream needs pino's metadata, so AccessLog sends its line through pino itself.
    const pinoLog = createLogger({
      name: 'access-test',
      destination: pino.multistream([{ stream: throughPino.stream }]),
    });
    await serveOnce([directLog, pinoLog], 'req-42');
    const [fast, reference] = await eventually(() => {
      expect(direct.lines).toHaveLength(1);
      expect(throughPino.lines).toHaveLength(1);
      return [JSON.parse(direct.lines[0]!), JSON.parse(throughPino.lines[0]!)] as Record<string, unknown>[];
    });
    const { time: fastTime, durationMs: fastDuration, ...fastRest } = fast!;
    const { time: refTime, durationMs: refDuration, ...refRest } = reference!;
    expect(Object.keys(fast!)).toEqual(Object.keys(reference!));
    expect(fastRest).toEqual(refRest);
    expect(fastRest).toMatchObject({
      level: 30,
      name: 'access-test',
      requestId: 'req-42',
      account: 'ups-"quoted"\\account',
      status: 202,
      carrierMs: 12.3,
      msg: 'request',
    });
    expect(typeof fastTime).toBe('number');
    expect(Math.abs((fastTime as number) - (refTime as number))).toBeLessThan(5_000);
    expect(typeof fastDuration).toBe('number');
    expect(typeof refDuration).toBe('number');
  });

  it('writes nothing when the level is above info', async () => {
    const quiet = collector();
    const witness = collector();
    const quietLog = createLogger({ level: 'warn', destination: quiet.stream });
    // The same response closes for both: once the info logger has its line, the other had its turn.
    const witnessLog = createLogger({ level: 'info', destination: witness.stream });
    await serveOnce([quietLog, witnessLog], 'req-43');
    await eventually(() => expect(witness.lines).toHaveLength(1));
    expect(quiet.lines).toEqual([]);
  });
});
