/**
 * @module scripts/link-bin
 * `npm ci` / `npm install` run this (`prepare`): npm links the bins of a project's dependencies
 * into node_modules/.bin, never the project's own, so `npx carrier-gateway` in a checkout would
 * find nothing. This links scripts/carrier-gateway.mjs there, relative, so the link survives a
 * moved checkout. Installed as a package (`npm link`), `bin` in package.json applies; the image
 * installs without scripts/ and skips this (the `prepare` command tests for the file).
 */
import { chmodSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'scripts', 'carrier-gateway.mjs');
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'carrier-gateway');

mkdirSync(binDir, { recursive: true });
try {
  lstatSync(link);
  rmSync(link);
} catch {
  // No link yet.
}
symlinkSync(relative(binDir, target), link);
chmodSync(target, 0o755);
