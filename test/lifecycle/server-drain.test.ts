/**
 * @module test/lifecycle/server-drain.test
 * ServerDrain (src/lifecycle/drain.ts) on a real node:http server and raw connections, for the
 * connection-level cases a whole gateway makes hard to reach: a request that arrives on a
 * connection still open after the listener closed is refused cleanly (503 ERR_SHUTTING_DOWN,
 * `Retry-After: 0`, `Connection: close`) while the request before it on that connection finishes;
 * a connection whose answer began before the drain is closed once that answer ends; `whenIdle`
 * waits for tracked work that outlives its request.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { ServerDrain } from '../../src/lifecycle/drain.js';

interface Harness {
  server: Server;
  drain: ServerDrain;
  port: number;
  /** Resolves the slow request's answer (`/slow` sends its head and half its body at once). */
  finishSlow: () => void;
  slowStarted: Promise<void>;
}

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function harness(): Promise<Harness> {
  let finishSlow = () => {};
  let slowStartedResolve = () => {};
  const slowStarted = new Promise<void>((resolve) => (slowStartedResolve = resolve));
  const created = createServer();
  // As the gateway's: an idle connection is never closed by the timeout during a test.
  created.keepAliveTimeout = 65_000;
  const drain = new ServerDrain(created);
  created.on('request', (req, res) => {
    if (!drain.admit(req, res)) return;
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': 4 });
      res.write('ab');
      finishSlow = () => res.end('cd');
      slowStartedResolve();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  server = created;
  return {
    server: created,
    drain,
    port: (created.address() as AddressInfo).port,
    finishSlow: () => finishSlow(),
    slowStarted,
  };
}

/** Everything the server sends on a connection until it closes it. */
function collect(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });

/** A harness whose `GET /slow` has started on a kept connection; `received` is all the connection reads until it closes. */
async function slowRequestStarted() {
  const h = await harness();
  const socket = await open(h.port);
  const received = collect(socket);
  socket.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n');
  await h.slowStarted;
  return { h, socket, received };
}

describe('ServerDrain', () => {
  it('refuses a request that arrives on an open connection after the listener closed, and finishes the one before it', async () => {
    const { h, socket, received } = await slowRequestStarted();

    h.drain.beginDraining();
    h.drain.stopAccepting();
    expect(h.drain.phase).toBe('closing');
    expect(h.drain.inFlight()).toEqual([expect.objectContaining({ kind: 'request', what: 'GET /slow' })]);
    let idle = false;
    const whenIdle = h.drain.whenIdle().then(() => (idle = true));
    // No new connection.
    await expect(open(h.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // A second request on the connection still open.
    socket.write('POST /v1/shipments HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}');
    await sleep(50);
    expect(idle).toBe(false);
    h.finishSlow();
    const text = await received;
    await whenIdle;

    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toMatch(/\r\n\r\nabcd$/);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second!.toLowerCase()).toContain('connection: close');
    expect(second!.toLowerCase()).toContain('retry-after: 0');
    expect(second).toContain('"code":"ERR_SHUTTING_DOWN"');
  });

  it(
    'closes a keep-alive connection once the answer begun before the drain has ended',
    { timeout: 5_000 },
    async () => {
      const { h, received } = await slowRequestStarted();
      h.drain.stopAccepting();
      h.finishSlow();
      const text = await received; // resolves only when the server closes the connection
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      // The head went out before the drain: it could not say close, so the server closed it after.
      expect(text.toLowerCase()).not.toContain('connection: close');
    },
  );

  it('while draining, answers close their connection; whenIdle waits for tracked work', async () => {
    const h = await harness();
    const socket = await open(h.port);
    const received = collect(socket);
    h.drain.beginDraining();
    socket.write('GET /fast HTTP/1.1\r\nhost: x\r\n\r\n');
    expect((await received).toLowerCase()).toContain('connection: close');

    let finish = () => {};
    const work = h.drain.track(
      'shipment',
      'shipment for client shop',
      new Promise<void>((resolve) => (finish = resolve)),
    );
    let idle = false;
    const whenIdle = h.drain.whenIdle().then(() => (idle = true));
    await sleep(20);
    expect(idle).toBe(false);
    expect(h.drain.inFlight()).toEqual([
      expect.objectContaining({ kind: 'shipment', what: 'shipment for client shop' }),
    ]);
    finish();
    await work;
    await whenIdle;
    expect(h.drain.inFlight()).toEqual([]);
  });
});
