/**
 * @module bench/profile-summary
 * Reads V8 `.cpuprofile` files (from `BENCH_CPU_PROF=DIR npm run bench`, or any `node --cpu-prof`
 * run) and lists where the time went: the top functions by self time, and self time grouped by
 * origin (our src/, each npm package, Node internals, GC). Self time, because under a steady
 * proxy load the question is which code burns the CPU, not which caller sits above it.
 *
 *   npx tsx bench/profile-summary.ts DIR_OR_FILE... [--top 20]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import { projectRoot } from '../src/platform/project-root.js';

const ROOT = projectRoot();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives, in the words a reader of this project would use. */
function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1]!;
  const path = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  return path;
}

function location(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  return path.replace(/^.*node_modules\//, '');
}

export function summariseProfile(file: string, top = 20): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByOrigin = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idle += delta;
      return;
    }
    total += delta;
    const name = `${frame.functionName || '(anonymous)'} ${location(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    const group = origin(frame.url, frame.functionName);
    selfByOrigin.set(group, (selfByOrigin.get(group) ?? 0) + delta);
  });
  const pct = (value: number) => `${((100 * value) / total).toFixed(1).padStart(5)}%`;
  const rows = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, value]) => `  ${pct(value)}  ${(value / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  return [
    `${relative(process.cwd(), file)}: ${(total / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle`,
    `Self time by origin:`,
    ...rows(selfByOrigin, 12),
    `Top ${top} functions by self time:`,
    ...rows(selfByFunction, top),
  ].join('\n');
}

/** The `.cpuprofile` files among the given files and folders (folders searched recursively). */
export function profileFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!statSync(path).isDirectory()) return path.endsWith('.cpuprofile') ? [path] : [];
    return profileFiles(readdirSync(path).map((entry) => join(path, entry)));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt === -1 ? 20 : Number(args.splice(topAt, 2)[1]);
  const files = profileFiles(args);
  if (files.length === 0) {
    process.stderr.write('usage: tsx bench/profile-summary.ts DIR_OR_FILE.cpuprofile... [--top N]\n');
    process.exit(1);
  }
  for (const file of files) process.stdout.write(`${summariseProfile(file, top)}\n\n`);
}
