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

function resolveString(value: string, path: readonly PropertyKey[], env: NodeJS.ProcessEnv): string {
  const fileMatch = FILE_REFERENCE.exec(value);
  if (fileMatch) {
    const file = fileMatch[1]!;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw configError(`${formatPath(path)}: secret file ${file} cannot be read (${reason})`);
    }
  }
  return value.replace(ENV_REFERENCE, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      throw configError(`${formatPath(path)}: environment variable ${name} is not set`);
    }
    return resolved;
  });
}

/** Walks the parsed YAML and replaces secret references; paths are kept for error messages. */
function resolveReferences(value: Json, path: PropertyKey[], env: NodeJS.ProcessEnv): Json {
  if (typeof value === 'string') return resolveString(value, path, env);
  if (Array.isArray(value)) return value.map((item, index) => resolveReferences(item, [...path, index], env));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveReferences(item, [...path, key], env);
    return out;
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  // zod's own messages say what was expected ("Invalid input: expected number, received string").
  return `${where}: ${issue.message}`;
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
  const resolved = resolveReferences(raw as Json, [], env);
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw configError(`${source}: ${lines.join('; ')}`);
  }
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
