/**
 * @module test/support/log-capture
 * Every logger made in tests writes to one capture folder shared by the whole run, and every
 * secret a test invents or a simulator issues is registered there. After the run,
 * test/support/global-log-capture.ts fails the suite if any registered secret, or anything
 * shaped like a bearer credential, appears in any log line. `memoryLogger` keeps its lines in
 * memory instead, for tests that read what was logged.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { expect } from 'vitest';

import { createLogger, type Logger } from '../../src/platform/log.js';

export function captureDir(): string {
  const dir = process.env.CARRIER_GATEWAY_LOG_CAPTURE;
  if (!dir) throw new Error('CARRIER_GATEWAY_LOG_CAPTURE is not set: run tests through vitest.config.ts');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A logger at debug level whose lines land in the capture folder. */
export function testLogger(name = 'test'): Logger {
  const file = join(captureDir(), `gateway-${process.pid}.log`);
  return createLogger({
    level: 'debug',
    name,
    destination: pino.destination({ dest: file, sync: true, append: true }),
  });
}

/** Lines a child process printed (its logs), for the same scan. */
export function captureChildOutput(chunk: string | Buffer): void {
  appendFileSync(join(captureDir(), `child-${process.pid}.log`), chunk);
}

/** The test file registering a secret, so a finding says where the value came from (never the value). */
function registeringTest(): string {
  try {
    const path = expect.getState().testPath;
    return path ? path.slice(path.lastIndexOf('/test/') + 1) : 'outside a test';
  } catch {
    return 'outside a test';
  }
}

/** Registers values that must never be logged (secrets, API keys, issued tokens). */
export function registerSecrets(...values: string[]): void {
  const origin = registeringTest();
  const lines = values.filter((value) => value.length >= 8).map((value) => `${value}\t${origin}\n`);
  if (lines.length > 0) appendFileSync(join(captureDir(), `secrets-${process.pid}.txt`), lines.join(''));
}

/** Registers every token the simulators issued, so the suite-wide scan can catch a logged one. */
export function registerIssuedTokens(...simulators: ({ issuedTokens(): string[] } | undefined)[]): void {
  for (const simulator of simulators) if (simulator) registerSecrets(...simulator.issuedTokens());
}

/** A logger at debug level writing into memory, so each line can be inspected; never scanned. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}
