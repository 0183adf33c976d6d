/**
 * @module bench/young-survivors
 * How much of a pass-through call outlives V8's young generation, from the gateway's own GC trace
 * (`--trace-gc-nvp`). Unlike CPU per request, the figure hardly moves with the machine's load, so
 * it tells a retention regression from noise: a finished call whose objects something still
 * points at is copied at the next scavenge and promoted at the one after, and the scavenges grow
 * dear (docs/benchmarks.md run 19: the drain kept each response reachable, ~5 KB a call).
 *
 *   npx tsx bench/young-survivors.ts            # the gateway of this checkout
 *   ROOT=/path/to/other/checkout npx tsx /this/checkout/bench/young-survivors.ts
 *
 * Prints bytes allocated and bytes surviving a scavenge per request, over `DURATION` seconds
 * (default 4) of 32-connection load after a 2 s warm-up.
 */
import autocannon from 'autocannon';

const root = process.env.ROOT ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const duration = Number(process.env.DURATION ?? 4);

interface Targets {
  startSimulator(): Promise<{ url: string }>;
  gatewayConfig(options: { simUrl: string }): string;
  startGateway(
    file: string,
    name: string,
    nodeArgs: string[],
  ): Promise<{ url: string; child: { pid: number; process: { stdout: NodeJS.ReadableStream | null } } }>;
  CREDENTIALS: { apiKey: string };
  TRACKING_PATH: string;
}

const { stopAll } = (await import(`${root}/bench/processes.ts`)) as { stopAll(): Promise<void> };
const targets = (await import(`${root}/bench/targets.ts`)) as Targets;

const sim = await targets.startSimulator();
const gateway = await targets.startGateway(targets.gatewayConfig({ simUrl: sim.url }), 'young-survivors', [
  '--trace-gc-nvp',
]);

interface Scavenge {
  allocated: number;
  survived: number;
}
let scavenges: Scavenge[] = [];
let pending = '';
gateway.child.process.stdout?.on('data', (chunk: Buffer) => {
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (!line.includes(' gc=s ')) continue;
    const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? NaN);
    scavenges.push({ allocated: field('allocated'), survived: field('new_space_survived') });
  }
});

const load = (seconds: number) =>
  new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${gateway.url}${targets.TRACKING_PATH}`,
        connections: 32,
        duration: seconds,
        headers: { authorization: `Bearer ${targets.CREDENTIALS.apiKey}` },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });

await load(2);
scavenges = [];
const result = await load(duration);
const requests = result.requests.total;
const sum = (pick: (s: Scavenge) => number) => scavenges.reduce((total, s) => total + pick(s), 0);
console.log(
  `${root}: ${requests} requests (${result.non2xx} not 2xx), ${scavenges.length} scavenges; ` +
    `per request ${(sum((s) => s.allocated) / requests).toFixed(0)} B allocated, ` +
    `${(sum((s) => s.survived) / requests).toFixed(0)} B surviving a scavenge`,
);
await stopAll();
