/**
 * A child program for test/http/log-batching.test.ts: logs `count` lines through the gateway's
 * own stdout logger (`createLogger({ flushMs })`) and reports on stderr how many write system calls
 * reached standard output. `then` is what it does next: `exit` at once (process.exit); `stay`
 * alive without logging anything more and report after 3 s; `flush` (pino's `logger.flush()`)
 * and report after 200 ms; or `throw` an uncaught error.
 */
import fs from 'node:fs';

import { createLogger } from '../../../src/platform/log.js';

const [flushMs, count, then] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];

// sonic-boom calls these through the module object, so wrapping them here counts its writes.
let writes = 0;
const { write, writeSync } = fs;
fs.write = ((fd: number, ...rest: unknown[]) => {
  if (fd === 1) writes++;
  return (write as (...args: unknown[]) => unknown)(fd, ...rest);
}) as typeof fs.write;
fs.writeSync = ((fd: number, ...rest: unknown[]) => {
  if (fd === 1) writes++;
  return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
}) as typeof fs.writeSync;

const log = createLogger({ flushMs });
for (let i = 0; i < count; i++) log.info({ line: i, padding: 'x'.repeat(100) }, 'request');
if (then === 'exit') process.exit(0);
if (then === 'throw') throw new Error('log-writer: an uncaught error right after logging');
if (then === 'flush') log.flush();
setTimeout(
  () => {
    process.stderr.write(`writes=${writes}\n`);
  },
  then === 'flush' ? 200 : 3_000,
);
