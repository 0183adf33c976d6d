/**
 * @module platform/write-coalescing
 * One socket write per event-loop turn on a Redis connection, however many commands the turn
 * sends. ioredis writes each command to its socket as it is sent, and Node makes a write system
 * call for each. A health list over 10,000 accounts sends tens of thousands of commands at once,
 * and those calls were more than half of its time (docs/benchmarks.md run 23). Corked at its first
 * write in a turn and uncorked in the same turn's check phase (`setImmediate`), the socket sends
 * them with one `writev`: the commands keep their order, and none waits past the turn it was sent
 * in.
 */
import type { Socket } from 'node:net';

const coalescing = new WeakSet<Socket>();

/** Makes `socket` gather the writes of each event-loop turn into one. Idempotent. */
export function coalesceWrites(socket: Socket): void {
  if (coalescing.has(socket)) return;
  coalescing.add(socket);
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
