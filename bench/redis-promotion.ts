/**
 * @module bench/redis-promotion
 * Why the gateway's Redis writes are Lua scripts and not ioredis pipelines: bytes promoted to V8's
 * old generation per write, for the same two-command write sent four ways (docs/benchmarks.md
 * run 22). Every ioredis `Pipeline` defines an accessor on itself (`length`), so each one gets a
 * hidden class of its own; the class lives in the old generation and keeps the pipeline and its
 * commands reachable from there until a full collection, whatever the write's own lifetime.
 *
 *   npx tsx bench/redis-promotion.ts
 *
 * Each way runs in a child Node process of its own with `--trace-gc-nvp`, on a throwaway
 * redis-server, 20,000 writes with 32 in flight; the figure is the scavenges' `promoted` bytes
 * over the child's life less those of a child that connects and writes nothing (`none`: startup,
 * tsx compiling this file), divided by the writes.
 */
import { spawn } from 'node:child_process';

import { Redis } from 'ioredis';

import { startRedis, stopAll } from './processes.js';

const WRITES = 20_000;
const IN_FLIGHT = 32;
const WAYS = ['none', 'commands', 'script', 'pipeline', 'multi'] as const;
type Way = (typeof WAYS)[number];

const SCRIPT = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('HDEL', KEYS[1], ARGV[3]) return 1";

/** The child: writes `WRITES` times one way, then exits. */
async function writeAll(url: string, way: Way): Promise<void> {
  const redis = new Redis(url, { commandTimeout: 1_500 });
  redis.defineCommand('hsetHdel', { numberOfKeys: 1, lua: SCRIPT });
  const scripted = redis as unknown as { hsetHdel(key: string, ...args: string[]): Promise<number> };
  let next = 0;
  const worker = async () => {
    while (way !== 'none' && next < WRITES) {
      const key = `w:${next++}`;
      if (way === 'commands') {
        await redis.hset(key, 'a', '1');
        await redis.hdel(key, 'b');
      } else if (way === 'script') await scripted.hsetHdel(key, 'a', '1', 'b');
      else if (way === 'pipeline') await redis.pipeline().hset(key, 'a', '1').hdel(key, 'b').exec();
      else await redis.multi().hset(key, 'a', '1').hdel(key, 'b').exec();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  redis.disconnect();
}

/** Bytes promoted and allocated over a child's life, summed from its GC trace. */
function measure(url: string, way: Way): Promise<{ promoted: number; allocated: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--trace-gc-nvp', new URL(import.meta.url).pathname, 'child', url, way],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${way}: child exited with ${code}`));
      let promoted = 0;
      let allocated = 0;
      for (const line of output.split('\n')) {
        if (!line.includes('gc=s ')) continue;
        promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
        allocated += Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0);
      }
      resolve({ promoted, allocated });
    });
  });
}

if (process.argv[2] === 'child') {
  await writeAll(process.argv[3]!, process.argv[4] as Way);
} else {
  const redis = await startRedis();
  try {
    console.log(`${WRITES} writes (HSET + HDEL of one key), ${IN_FLIGHT} in flight, one process per way`);
    console.log('| way | bytes promoted per write | bytes allocated per write (scavenged) |');
    console.log('| --- | ---: | ---: |');
    const startup = await measure(redis.url, 'none');
    for (const way of WAYS.filter((name) => name !== 'none')) {
      const { promoted, allocated } = await measure(redis.url, way);
      const perWrite = (bytes: number, base: number) => ((bytes - base) / WRITES).toFixed(0);
      console.log(
        `| ${way} | ${perWrite(promoted, startup.promoted)} | ${perWrite(allocated, startup.allocated)} |`,
      );
    }
  } finally {
    await stopAll();
  }
}
