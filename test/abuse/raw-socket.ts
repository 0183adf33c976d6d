/**
 * @module test/abuse/raw-socket
 * Bytes written to the gateway as a hostile or broken client writes them (node:net, nothing
 * normalised), and everything the server sent back until it closed the connection or `waitMs`
 * passed, with the first answer's status line and headers parsed.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything received. */
  text: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (rather than the wait running out). */
  closedByServer: boolean;
}

export function parseAnswer(text: string): Pick<RawExchange, 'status' | 'headers' | 'body'> {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const rest = end < 0 ? '' : text.slice(end + 4);
  return {
    status: Number(statusLine.split(' ')[1] ?? 0),
    headers,
    body: length !== undefined ? Buffer.from(rest).subarray(0, length).toString('utf8') : rest,
  };
}

/** Writes `chunks` (with `gapMs` between them) and collects the answer. */
export function sendRaw(
  port: number,
  chunks: (string | Buffer)[],
  options: { gapMs?: number; waitMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closedByServer = false;
    const finish = () => {
      const text = Buffer.concat(received).toString('utf8');
      resolve({ text, ...parseAnswer(text), closedByServer });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, options.waitMs ?? 3_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      closedByServer = true;
      finish();
    });
    socket.once('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}

export interface Trickle {
  /** The first answer, once the server sent it whole or closed the connection. */
  answer: Promise<RawExchange>;
  /** Stops writing and drops the connection (a client that gives up). */
  stop(): void;
}

/**
 * Writes `head` (a request line and headers announcing a chunked body), then one small chunk
 * every `everyMs` (never, with `everyMs` 0: a body that stalls) until `stop()`.
 */
export function trickleUpload(port: number, head: string, everyMs: number): Trickle {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  let closedByServer = false;
  let timer: NodeJS.Timeout | undefined;
  let settle: (exchange: RawExchange) => void = () => {};
  const answer = new Promise<RawExchange>((resolve) => (settle = resolve));
  const finish = () => {
    const text = Buffer.concat(received).toString('utf8');
    settle({ text, ...parseAnswer(text), closedByServer });
  };
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    const parsed = parseAnswer(Buffer.concat(received).toString('utf8'));
    const length = Number(parsed.headers['content-length'] ?? NaN);
    if (Buffer.byteLength(parsed.body) >= length) finish();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    clearInterval(timer);
    closedByServer = true;
    finish();
  });
  socket.once('connect', () => {
    socket.write(`${head}1\r\nx\r\n`);
    if (everyMs > 0) timer = setInterval(() => socket.write('1\r\nx\r\n'), everyMs);
  });
  return {
    answer,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}
