/**
 * @module platform/log
 * Structured logging (pino) with redaction as a second line of defence: the code never logs a
 * token, secret or API key on purpose, and these paths are censored in case one slips into a
 * logged object. test/security/no-secrets-in-logs.test.ts checks the whole suite's log output.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'clientSecret',
  'nextClientSecret',
  'client_secret',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.nextClientSecret',
  '*.client_secret',
  '*.apiKey',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  name?: string;
  /**
   * Standard output only (no `destination`): lines are gathered and written at most this many
   * milliseconds later, or as soon as 16 KiB are waiting; 0 writes each line at once. See
   * `stdoutDestination`.
   */
  flushMs?: number;
}

/** A write of this size is one system call on Linux pipes and files, and about 60 access lines. */
const BATCH_BYTES = 16 * 1024;

/** Every batching destination's flush, run once when the process exits. */
const flushedOnExit = new Set<() => void>();
process.once('exit', () => {
  for (const flush of flushedOnExit) flush();
});

/**
 * Standard output for the process's logs. A synchronous write per line was the largest single cost
 * of a pass-through call (9 % of its CPU, docs/benchmarks.md run 14): with `flushMs` > 0 the lines
 * are gathered and written together, at most `flushMs` later or once `BATCH_BYTES` wait.
 *
 * The lines wait in an array and are joined once per write. sonic-boom's own batching (its
 * `minLength`) appends each line to a string and measures that string's byte length on every
 * write, which flattens it: about 8 KB copied for every access line at a 16 KiB batch
 * (docs/benchmarks.md run 19). The joined batch goes out through a synchronous sonic-boom, which
 * retries a pipe that is momentarily full. What waits is written on process exit (a normal exit,
 * a signal handled by the graceful shutdown, an uncaught error); only a SIGKILL can lose the last
 * `flushMs` of lines.
 */
export function stdoutDestination(flushMs: number): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: true });
  if (flushMs <= 0) return stdout;
  let waiting: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (waiting.length === 0) return;
    const batch = waiting.length === 1 ? waiting[0]! : waiting.join('');
    waiting = [];
    bytes = 0;
    stdout.write(batch);
  };
  flushedOnExit.add(flush);
  return {
    write(line: string): void {
      waiting.push(line);
      // Characters, not bytes: close enough to size a batch, and free.
      bytes += line.length;
      if (bytes >= BATCH_BYTES) flush();
      // Only after a line arrived: nothing to write costs nothing while idle.
      else if (timer === undefined) timer = setTimeout(flush, flushMs).unref();
    },
    // pino's `logger.flush()` lands here: a line someone waits for (listening) goes out at once.
    flush(done?: (error?: Error) => void): void {
      flush();
      done?.();
    },
  } as DestinationStream;
}

type Stringifier = (value: unknown, ...rest: unknown[]) => string | undefined;

/** The paths censored whatever their value holds; every other stringifier looks inside objects. */
const WHOLE_FIELDS = new Set(REDACTED_PATHS.filter((path) => !path.includes('.')));

/**
 * pino hands every field not named by a path (every field of an access line) to the redactor of
 * the `*.` paths, and @pinojs/redact 0.4 parses each of those paths again on every call: 10–20 KB
 * of garbage per line, half the allocations of a first call per account at 10,000 accounts (issue
 * 11). A string, number or boolean holds nothing to censor, and for one the redactor returns what
 * pino's own `JSON.stringify` does, so those skip it; objects still go through it. The
 * stringifiers are pino's documented integration point (`pino.symbols`), shared by child loggers.
 */
function skipRedactionOfScalars(logger: Logger): Logger {
  const holder = logger as unknown as Record<symbol, Record<string | symbol, Stringifier>>;
  const stringifiers = holder[pino.symbols.stringifiersSym]!;
  for (const key of Reflect.ownKeys(stringifiers)) {
    if (key === pino.symbols.redactFmtSym || (typeof key === 'string' && WHOLE_FIELDS.has(key))) continue;
    const redact = stringifiers[key]!;
    stringifiers[key] = (value, ...rest) =>
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? JSON.stringify(value)
        : redact(value, ...rest);
  }
  return logger;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(options.name ? { name: options.name } : {}),
  };
  if (options.destination) return skipRedactionOfScalars(pino(settings, options.destination));
  if (options.flushMs !== undefined)
    return skipRedactionOfScalars(pino(settings, stdoutDestination(options.flushMs)));
  return skipRedactionOfScalars(pino(settings));
}

export type { Logger };
