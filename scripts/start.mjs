/**
 * @module scripts/start
 * `npm start`, for a checkout: brings dist/ up to date, then runs the program (dist/src/main.js)
 * in this process with the arguments given. With no arguments and no GATEWAY_CONFIG it adds
 * `--demo`, so `npm ci && npm start` on a developer's machine runs the demo; the program itself
 * never does that on its own (the image runs it without npm).
 *
 * The build is `tsc --build` on tsconfig.build.json, which is incremental: it compares the
 * sources against dist/.tsbuildinfo (content hashes, not only times) and does nothing when they
 * have not changed, so a start costs about a second instead of a full compilation. Deleting dist/
 * deletes the build information with it and forces a full build.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const build = spawnSync(process.execPath, [tsc, '--build', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  process.stderr.write('npm start: the build failed (see above); nothing started\n');
  process.exit(build.status ?? 1);
}

const args = process.argv.slice(2);
if (args.length === 0 && !process.env.GATEWAY_CONFIG) {
  process.stderr.write('npm start: no configuration (no --config, no GATEWAY_CONFIG): running the demo\n');
  args.push('--demo');
}
const main = join(root, 'dist', 'src', 'main.js');
// src/main.ts reads its command line from process.argv, as when it is run directly.
process.argv = [process.argv[0], main, ...args];
await import(pathToFileURL(main).href);
