/**
 * @module test/packaging/compose-file
 * Reads docker-compose.yml the way Compose would for the parts the packaging tests check: YAML
 * with merge keys, and `${VAR}`, `${VAR:-default}` and `${VAR:?message}` interpolation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { projectRoot } from '../../src/platform/project-root.js';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export const COMPOSE_PATH = join(projectRoot(), 'docker-compose.yml');

/** Compose's interpolation: a missing `${VAR:?message}` fails with the message, as `docker compose` does. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (_match, name: string, kind: string | undefined, arg: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (kind === '-') return arg ?? '';
      if (kind === '?') throw new Error(`${name}: ${arg ?? 'required'}`);
      return '';
    },
  );
}

export function readCompose(env: Record<string, string | undefined>): ComposeFile {
  const text = interpolate(readFileSync(COMPOSE_PATH, 'utf8'), env);
  return parse(text, { merge: true }) as ComposeFile;
}
