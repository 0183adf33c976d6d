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
