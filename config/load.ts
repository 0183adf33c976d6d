/**
 * @module config/load
 * Reads the YAML configuration once at start: parse, resolve secret references (`${ENV_VAR}`
 * anywhere in a string, `file:/path` as a whole value), validate with zod. Every failure is a
 * `GatewayError('ERR_CONFIG_INVALID')` whose detail names the key path and what was expected;
 * secret values never appear in it.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';

import { GatewayError } from '../src/core/errors.js';
import { configSchema, type GatewayConfig } from './schema.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const FILE_REFERENCE = /^file:(\/.+)$/;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

function configError(detail: string): GatewayError {
  return new GatewayError('ERR_CONFIG_INVALID', `invalid configuration: ${detail}`, { detail });
}

/** One thing wrong with a configuration: where, what, and how to put it right. */
export interface ConfigProblem {
  path: string;
  problem: string;
  fix?: string;
}

/**
 * Every problem of one file in one error, so an operator fixes them in one pass: `detail` keeps
 * the one-line form (`source: path: problem; ...`), `message` (what the program prints) adds each
 * problem's fix on its own line, and `problems` lists them for machines.
 */
function configProblems(source: string, problems: readonly ConfigProblem[]): GatewayError {
  const detail = `${source}: ${problems.map((entry) => `${entry.path}: ${entry.problem}`).join('; ')}`;
  const lines = problems.map(
    (entry) => `  ${entry.path}: ${entry.problem}${entry.fix !== undefined ? `\n    fix: ${entry.fix}` : ''}`,
  );
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new GatewayError(
    'ERR_CONFIG_INVALID',
    `invalid configuration: ${source} (${count}):\n${lines.join('\n')}`,
    { detail, extensions: { problems } },
  );
}

function resolveString(
  value: string,
  path: readonly PropertyKey[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): string {
  const fileMatch = FILE_REFERENCE.exec(value);
  if (fileMatch) {
    const file = fileMatch[1]!;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push({
        path: formatPath(path),
        problem: `secret file ${file} cannot be read (${reason})`,
        fix: `check the path, and that the gateway's user may read ${file}`,
      });
      return value;
    }
  }
  return value.replace(ENV_REFERENCE, (match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      problems.push({
        path: formatPath(path),
        problem: `environment variable ${name} is not set`,
        fix: `set ${name} in the gateway's environment, or give the value as file:/path/to/secret`,
      });
      return match;
    }
    return resolved;
  });
}

/** Walks the parsed YAML and replaces secret references; what cannot be resolved is collected. */
function resolveReferences(
  value: Json,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): Json {
  if (typeof value === 'string') return resolveString(value, path, env, problems);
  if (Array.isArray(value))
    return value.map((item, index) => resolveReferences(item, [...path, index], env, problems));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value))
      out[key] = resolveReferences(item, [...path, key], env, problems);
    return out;
  }
  return value;
}

type SchemaNode = { _zod: { def: Record<string, unknown> & { type: string } } };

/** The object keys the schema accepts at `path` (through optional, default, array, union). */
function knownKeys(schema: SchemaNode, path: readonly PropertyKey[]): string[] {
  const def = schema._zod.def;
  if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type))
    return knownKeys(def['innerType'] as SchemaNode, path);
  if (def.type === 'pipe') return knownKeys(def['in'] as SchemaNode, path);
  if (def.type === 'union')
    return [...new Set((def['options'] as SchemaNode[]).flatMap((option) => knownKeys(option, path)))];
  if (def.type === 'array')
    return path.length === 0 ? [] : knownKeys(def['element'] as SchemaNode, path.slice(1));
  if (def.type === 'record')
    return path.length === 0 ? [] : knownKeys(def['valueType'] as SchemaNode, path.slice(1));
  if (def.type !== 'object') return [];
  const shape = def['shape'] as Record<string, SchemaNode>;
  if (path.length === 0) return Object.keys(shape);
  const next = shape[String(path[0])];
  return next === undefined ? [] : knownKeys(next, path.slice(1));
}

/** Levenshtein distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownKeyFix(keys: readonly string[], path: readonly PropertyKey[]): string {
  const known = knownKeys(configSchema as unknown as SchemaNode, path);
  const guesses = keys.flatMap((key) => {
    const best = known
      .map((candidate) => ({ candidate, score: distance(key.toLowerCase(), candidate.toLowerCase()) }))
      .sort((a, b) => a.score - b.score)[0];
    return best !== undefined && best.score <= Math.max(2, Math.floor(key.length / 3))
      ? [`"${best.candidate}"`]
      : [];
  });
  const allowed = known.length > 0 ? ` (allowed here: ${known.join(', ')})` : '';
  return guesses.length > 0
    ? `did you mean ${guesses.join(', ')}?${allowed}`
    : `remove ${keys.length > 1 ? 'them' : 'it'}${allowed}`;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem {
  const path = formatPath(issue.path) || '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path,
        problem: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
        fix: unknownKeyFix(issue.keys, issue.path),
      };
    case 'invalid_type':
      // zod's own messages say what was expected ("Invalid input: expected number, received string").
      return {
        path,
        problem: issue.message,
        fix:
          issue.input === undefined ? `add ${path} (a ${issue.expected})` : `write a ${issue.expected} here`,
      };
    case 'invalid_value':
      return { path, problem: issue.message, fix: 'use one of the values listed' };
    case 'too_big':
    case 'too_small':
      return { path, problem: issue.message, fix: 'use a value within that bound' };
    default:
      return { path, problem: issue.message };
  }
}

/** Two reports of one mistake: an unresolved reference also fails the schema at the same place. */
function underAny(path: string, paths: ReadonlySet<string>): boolean {
  for (const reported of paths) if (path === reported || path.startsWith(`${reported}.`)) return true;
  return false;
}

/**
 * JSON is YAML too, and a generated configuration of 10,000 accounts is often JSON: parsed as
 * JSON it takes a tenth of the time (and garbage) the YAML parser needs, which is most of the
 * boot at that size. Anything that is not valid JSON goes to the YAML parser, as before.
 */
function parseJsonOrYaml(text: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // YAML's flow style also starts with '{'; the YAML parser decides.
    }
  }
  return parseYaml(text, { prettyErrors: true });
}

/** Parses and validates configuration text. `source` names the file in messages. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseJsonOrYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError ? ` at line ${error.linePos?.[0]?.line ?? '?'}` : '';
    throw configError(`${source}: not valid YAML${where}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError(`${source}: expected a mapping at the top level`);
  }
  const problems: ConfigProblem[] = [];
  const resolved = resolveReferences(raw as Json, [], env, problems);
  const unresolved = new Set(problems.map((entry) => entry.path));
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const problem = describeIssue(issue);
      if (!underAny(problem.path, unresolved)) problems.push(problem);
    }
  }
  if (problems.length > 0 || !result.success) throw configProblems(source, problems);
  return result.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw configError(`${file}: cannot be read (${reason})`);
  }
  return parseConfig(text, file, env);
}

export interface ConfigSelection {
  /** Path of the configuration file (`--config`, else GATEWAY_CONFIG). */
  file?: string;
  /** `--demo`: run the bundled demo; never implied, so a missing configuration is an error. */
  demo?: boolean;
  /** `PORT` from the environment, which overrides `listen.port`. */
  portOverride?: number;
  /** `GATEWAY_HOST` from the environment, which overrides `listen.host` (a container binds 0.0.0.0). */
  hostOverride?: string;
  /** `--host ADDRESS`: where to listen, over GATEWAY_HOST; the only way to move the demo off loopback. */
  hostArgument?: string;
}

/** The value of `--name VALUE` or `--name=VALUE` at argv[index], and how many arguments it took. */
function optionValue(argv: readonly string[], index: number, name: string): [string, number] | undefined {
  const arg = argv[index]!;
  if (arg === name) {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--') || value === '')
      throw configError(`${name} needs a ${name === '--config' ? 'file path' : 'value'}`);
    return [value, 2];
  }
  if (arg.startsWith(`${name}=`)) {
    const value = arg.slice(name.length + 1);
    if (value === '') throw configError(`${name} needs a ${name === '--config' ? 'file path' : 'value'}`);
    return [value, 1];
  }
  return undefined;
}

/**
 * `--config FILE` wins over `GATEWAY_CONFIG`; `--demo` asks for the demo and excludes both. With
 * neither, serve.ts refuses to start: the image must never run the demo by accident.
 */
export function selectConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigSelection {
  const selection: ConfigSelection = {};
  for (let index = 0; index < argv.length;) {
    const arg = argv[index]!;
    const config = optionValue(argv, index, '--config');
    const host = config ? undefined : optionValue(argv, index, '--host');
    if (config) {
      selection.file = config[0];
      index += config[1];
    } else if (host) {
      selection.hostArgument = host[0];
      index += host[1];
    } else if (arg === '--demo') {
      selection.demo = true;
      index += 1;
    } else {
      throw configError(`unknown argument "${arg}" (expected --config FILE, --demo or --host ADDRESS)`);
    }
  }
  if (selection.file === undefined && env.GATEWAY_CONFIG) selection.file = env.GATEWAY_CONFIG;
  if (selection.demo && selection.file !== undefined) {
    throw configError(
      `--demo runs the bundled demo and cannot be combined with a configuration (${
        argv.some((arg) => arg.startsWith('--config')) ? '--config' : 'GATEWAY_CONFIG'
      } is set)`,
    );
  }
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = /^\d{1,5}$/.test(env.PORT.trim()) ? Number(env.PORT.trim()) : Number.NaN;
    if (!Number.isInteger(port) || port > 65_535) throw configError('PORT: expected an integer 0-65535');
    selection.portOverride = port;
  }
  if (env.GATEWAY_HOST !== undefined && env.GATEWAY_HOST !== '') selection.hostOverride = env.GATEWAY_HOST;
  return selection;
}
