/**
 * @module test/support/raw-http
 * One HTTP/1.1 connection held by hand (node:net), for tests about connections themselves: a
 * keep-alive connection kept across a shutdown, the `Connection` header of each answer, and the
 * moment the server closes it. fetch hides all three behind its pool.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  /** Sends one request on this connection and reads its answer (Content-Length bodies only). */
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<RawAnswer>;
  /** Resolves with Date.now() when the server closed the connection. */
  closed: Promise<number>;
  destroy(): void;
}

/** Opens a connection to 127.0.0.1:port; rejects when it is refused. */
export function rawConnection(port: number, host = '127.0.0.1'): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host });
    let buffer = Buffer.alloc(0);
    let onData: (() => void) | undefined;
    const closed = new Promise<number>((resolveClosed) =>
      socket.once('close', () => resolveClosed(Date.now())),
    );
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      onData?.();
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      // A reset after the answer is the server's business; the test reads `closed`.
      socket.on('error', () => {});
      resolve({
        closed,
        destroy: () => socket.destroy(),
        request: (method, path, headers = {}, body) =>
          new Promise<RawAnswer>((resolveAnswer, rejectAnswer) => {
            const read = () => {
              const end = buffer.indexOf('\r\n\r\n');
              if (end < 0) return;
              const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
              const parsed: Record<string, string> = {};
              for (const line of lines) {
                const colon = line.indexOf(':');
                parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
              }
              const length = Number(parsed['content-length'] ?? 0);
              if (buffer.length < end + 4 + length) return;
              const answerBody = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
              buffer = buffer.subarray(end + 4 + length);
              onData = undefined;
              resolveAnswer({ status: Number(statusLine!.split(' ')[1]), headers: parsed, body: answerBody });
            };
            onData = read;
            void closed.then(() => {
              if (onData === read) rejectAnswer(new Error(`connection closed before the answer to ${path}`));
            });
            const head = Object.entries({
              host: `${host}:${port}`,
              ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
              ...headers,
            })
              .map(([name, value]) => `${name}: ${value}\r\n`)
              .join('');
            socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n${body ?? ''}`);
            read();
          }),
      });
    });
  });
}
