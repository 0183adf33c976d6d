/**
 * @module test/support/openapi-contract
 *
 * Owns the contract-test kit: finding the carriers' official OpenAPI 3.0 documents
 * (`../shared/carrier-specs` next to the project, or `CARRIER_SPECS_DIR`), loading them once per
 * process, and checking a single outgoing HTTP request (method, path, query, headers, security,
 * body) against the operation it addresses. Schema validation is ajv's (draft-07, ajv-formats);
 * this module only adapts OpenAPI 3.0 to JSON Schema and turns ajv errors into readable lines.
 *
 * Deliberate choices, each explained where it is made:
 * - header parameters named `authorization`/`content-type`/`accept` are validated although
 *   OpenAPI says to ignore them, because FedEx states its Bearer requirement only that way;
 * - `oneOf` is checked as `anyOf`, and empty placeholder alternatives are dropped (FedEx);
 * - the request path must carry one of the operation's server path prefixes (`/api` for UPS);
 *   pass `serverBase` to accept the base URL an adapter was pointed at as well.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseDocument } from 'yaml';
import { describe, it } from 'vitest';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the whole
// module object, so the plugin function is its `default` property (also true at runtime).
const addFormats = addFormatsModule.default;

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A loaded, parsed OpenAPI document. Internal validation state is kept outside this object. */
export interface ContractSpec {
  /** Path relative to the specs folder, as given to {@link loadSpec}. */
  readonly file: string;
  readonly title: string;
  readonly version: string;
  /** The parsed document exactly as published (never mutated; treat as read-only). */
  readonly document: Readonly<JsonObject>;
}

export interface ContractRequest {
  method: string;
  /** Absolute URL or path with query string. */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface ContractOptions {
  /**
   * The base URL (or just its path) the client under test was configured with. Its path is
   * accepted as a prefix in addition to the spec's own `servers` paths, alone or followed by one.
   */
  serverBase?: string;
}

export interface ContractResult {
  ok: boolean;
  operationId?: string;
  /** The matched operation as `METHOD /template`, useful when `operationId` is absent. */
  operation?: string;
  errors: string[];
}

// ---------------------------------------------------------------------------------------------
// Locating the specs folder
// ---------------------------------------------------------------------------------------------

function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('openapi-contract: no package.json above ' + import.meta.url);
    dir = parent;
  }
}

const projectRoot = findProjectRoot();

/** Where the specs are expected, whether or not the folder exists. */
export function expectedSpecsDir(): string {
  const override = process.env.CARRIER_SPECS_DIR;
  if (override !== undefined && override !== '') return path.resolve(projectRoot, override);
  return path.resolve(projectRoot, '..', 'shared', 'carrier-specs');
}

/** The carrier-specs folder, or null when it is absent. */
export function specsDir(): string | null {
  const dir = expectedSpecsDir();
  try {
    return statSync(dir).isDirectory() ? dir : null;
  } catch {
    return null;
  }
}

export const contractSpecsAvailable: boolean = specsDir() !== null;

export const contractSkipMessage =
  `carrier specs not found at ${expectedSpecsDir()}: contract tests skipped ` +
  '(they run in CI, where ../shared/carrier-specs is present)';

let skipNoticePrinted = false;

/**
 * `describe` for contract tests. Without the specs folder the block is skipped with a one-time
 * notice, except in CI (`CI` set), where a missing folder is a broken pipeline and must fail.
 */
export function describeContract(name: string, fn: () => void): void {
  if (contractSpecsAvailable) {
    describe(name, fn);
    return;
  }
  const ci = process.env.CI;
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') {
    describe(name, () => {
      it('has the carrier specs folder', () => {
        throw new Error(
          `carrier specs not found at ${expectedSpecsDir()} and CI is set: contract tests must not be skipped in CI`,
        );
      });
    });
    return;
  }
  if (!skipNoticePrinted) {
    skipNoticePrinted = true;
    console.warn(contractSkipMessage);
  }
  describe.skip(name, fn);
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Specs may reuse anchors many times; the default alias limit guards against hostile input only.
const TO_JS_OPTIONS = { maxAliasCount: -1 };

/**
 * Parses YAML, repairing two defects found in the published UPS Shipping.yaml instead of editing
 * the (byte-for-byte) copy: tab characters in the indentation of quoted-scalar continuation
 * lines, and continuation lines indented no deeper than their key. Repairs only run after a
 * failed parse and only ever add or replace leading whitespace, which folding discards anyway.
 */
function parseYaml(text: string, file: string): unknown {
  let doc = parseDocument(text);
  if (doc.errors.length === 0) return doc.toJS(TO_JS_OPTIONS);
  let source = text.replace(/^[ \t]*\t[ \t]*/gm, (indent) => indent.replace(/\t/g, '    '));
  for (let attempt = 0; attempt < 100; attempt++) {
    doc = parseDocument(source);
    const first = doc.errors[0];
    if (first === undefined) return doc.toJS(TO_JS_OPTIONS);
    const quote = /Missing closing (["'])quote/.exec(first.message)?.[1];
    const line = first.linePos?.[0].line;
    if (quote === undefined || line === undefined) {
      throw new Error(`openapi-contract: cannot parse ${file}: ${first.message}`);
    }
    const lines = source.split('\n');
    const indentOf = (s: string): number => /^ */.exec(s)?.[0].length ?? 0;
    const keyIndent = indentOf(lines[line - 1] ?? '');
    for (let i = line; i < lines.length; i++) {
      const current = lines[i] ?? '';
      const indent = indentOf(current);
      if (indent <= keyIndent) lines[i] = ' '.repeat(keyIndent + 2 - indent) + current;
      // Escaped quotes do not close the scalar: '' inside single quotes, \" inside double quotes.
      const unescaped: string = quote === "'" ? current.replace(/''/g, '') : current.replace(/\\./g, '');
      if (unescaped.includes(quote)) break;
    }
    source = lines.join('\n');
  }
  throw new Error(`openapi-contract: cannot parse ${file}: too many YAML repairs`);
}

const specCache = new Map<string, Promise<ContractSpec>>();

/**
 * Loads and parses a spec (path relative to the specs folder). The promise is cached per file so
 * concurrent callers share one parse; the largest files take about a second to parse.
 */
export function loadSpec(relativePath: string): Promise<ContractSpec> {
  const dir = specsDir();
  if (dir === null) return Promise.reject(new Error(contractSkipMessage));
  const absolute = path.resolve(dir, relativePath);
  let pending = specCache.get(absolute);
  if (pending === undefined) {
    pending = readAndParse(absolute, relativePath);
    specCache.set(absolute, pending);
  }
  return pending;
}

async function readAndParse(absolute: string, file: string): Promise<ContractSpec> {
  const text = await readFile(absolute, 'utf8');
  const parsed: unknown = /\.json$/i.test(absolute) ? JSON.parse(text) : parseYaml(text, file);
  return specFromDocument(file, parsed);
}

/**
 * Wraps an already parsed OpenAPI 3.x document. {@link loadSpec} uses it for files; tests use it
 * directly for small hand-written documents exercising a quirk no carrier file happens to have.
 */
export function specFromDocument(file: string, document: unknown): ContractSpec {
  if (!isObject(document) || typeof document.openapi !== 'string' || !document.openapi.startsWith('3.')) {
    throw new Error(`openapi-contract: ${file} is not an OpenAPI 3.x document`);
  }
  const info = isObject(document.info) ? document.info : {};
  const spec: ContractSpec = {
    file,
    title: typeof info.title === 'string' ? info.title : file,
    version: typeof info.version === 'string' ? info.version : '',
    document,
  };
  states.set(spec, new SpecState(spec));
  return spec;
}

// ---------------------------------------------------------------------------------------------
// JSON pointers and references
// ---------------------------------------------------------------------------------------------

type Pointer = readonly string[];

/** A pointer as a URI fragment ajv can resolve (`#/paths/~1track~1v1~1details~1%7BinquiryNumber%7D`). */
function pointerToRef(docId: string, pointer: Pointer): string {
  return (
    docId +
    '#' +
    pointer.map((token) => '/' + encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'))).join('')
  );
}

function refToPointer(ref: string): Pointer | null {
  if (!ref.startsWith('#')) return null;
  const fragment = ref.slice(1);
  if (fragment === '') return [];
  if (!fragment.startsWith('/')) return null;
  return fragment
    .slice(1)
    .split('/')
    .map((token) => decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(root: Json, pointer: Pointer): Json | undefined {
  let node: Json | undefined = root;
  for (const token of pointer) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

interface Located {
  value: JsonObject;
  pointer: Pointer;
}

/** Follows a chain of local Reference Objects; null when a reference cannot be resolved. */
function deref(root: JsonObject, value: Json | undefined, pointer: Pointer): Located | null {
  let current = value;
  let where = pointer;
  for (let hops = 0; hops < 32; hops++) {
    if (!isObject(current)) return null;
    const ref = current.$ref;
    if (typeof ref !== 'string') return { value: current, pointer: where };
    const next = refToPointer(ref);
    if (next === null) return null;
    where = next;
    current = getAt(root, next);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema draft-07 (applied to a private copy of the document)
// ---------------------------------------------------------------------------------------------

const ANNOTATION_KEYWORDS = new Set([
  'description',
  'title',
  'example',
  'examples',
  'externalDocs',
  'xml',
  'deprecated',
  'readOnly',
  'writeOnly',
  'default',
  'discriminator',
]);

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** A schema that constrains nothing: FedEx lists such example-only schemas as oneOf branches. */
function isPlaceholder(root: JsonObject, schema: Json): boolean {
  const target = deref(root, schema, [])?.value;
  if (target === undefined) return false;
  return Object.keys(target).every((key) => ANNOTATION_KEYWORDS.has(key) || key.startsWith('x-'));
}

function isReadOnly(root: JsonObject, schema: Json | undefined): boolean {
  if (!isObject(schema)) return false;
  if (schema.readOnly === true) return true;
  return typeof schema.$ref === 'string' && deref(root, schema, [])?.value.readOnly === true;
}

/**
 * Rewrites OpenAPI 3.0 schema dialect into draft-07 in place. It walks the whole document rather
 * than tracking which nodes are schemas; every rule keys on a value type that only a schema has
 * (`nullable: true`, boolean `exclusiveMinimum`, array `oneOf`), so parameter objects and
 * examples pass through harmlessly, and only schemas are ever handed to ajv.
 */
function convertDocument(root: JsonObject): Set<string> {
  const formats = new Set<string>();
  const seen = new Set<object>();
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    convertSchemaNode(root, node, formats);
    stack.push(...Object.values(node));
  }
  return formats;
}

function convertSchemaNode(root: JsonObject, node: JsonObject, formats: Set<string>): void {
  // OpenAPI 3.0 ignores siblings of $ref, and ajv would apply them; keep only the reference
  // (after honouring the widespread `$ref` + `nullable` convention).
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const nullable = node.nullable === true;
    for (const key of Object.keys(node)) delete node[key];
    if (nullable) node.anyOf = [{ $ref: ref }, { type: 'null' }];
    else node.$ref = ref;
    return;
  }

  if (typeof node.type === 'string' && !JSON_TYPES.has(node.type)) {
    const lower = node.type.toLowerCase();
    if (JSON_TYPES.has(lower)) node.type = lower;
    else delete node.type; // e.g. Swagger 2 `file`: nothing checkable, ajv would refuse to compile
  }

  if (node.nullable === true) {
    delete node.nullable;
    if (typeof node.type === 'string') {
      node.type = [node.type, 'null'];
      if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
    } else if (node.type === undefined && Object.keys(node).some((k) => !ANNOTATION_KEYWORDS.has(k))) {
      const inner: JsonObject = { ...node };
      for (const key of Object.keys(node)) delete node[key];
      node.anyOf = [inner, { type: 'null' }];
      return;
    }
  } else if (typeof node.nullable === 'boolean') {
    delete node.nullable;
  }

  // Draft-04 style boolean exclusive bounds (USPS prices/labels) -> draft-07 numeric bounds.
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof node[exclusive] !== 'boolean') continue;
    const limit = node[bound];
    if (node[exclusive] === true && typeof limit === 'number') {
      node[exclusive] = limit;
      delete node[bound];
    } else {
      delete node[exclusive];
    }
  }

  // readOnly properties are server-assigned: a request cannot be required to send them.
  if (Array.isArray(node.required)) {
    const properties = isObject(node.properties) ? node.properties : {};
    const required = node.required.filter(
      (name) => typeof name === 'string' && !isReadOnly(root, properties[name]),
    );
    if (required.length > 0) node.required = required;
    else delete node.required;
  } else if (typeof node.required === 'boolean') {
    delete node.required;
  }

  // oneOf is checked as anyOf: carrier specs use oneOf for overlapping object shapes (no
  // additionalProperties: false), where a conforming request matches several branches.
  // Example-only placeholder branches would otherwise accept anything, so they are dropped.
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const branches = node[keyword];
    if (!Array.isArray(branches)) continue;
    delete node[keyword];
    const real = branches.filter((branch) => !isPlaceholder(root, branch));
    if (real.length === 0) continue; // only placeholders: the spec constrains nothing here
    // A lone remaining branch goes to allOf so failures name the property, not "anyOf".
    const allOf = Array.isArray(node.allOf) ? node.allOf : [];
    if (real.length === 1) node.allOf = [...allOf, ...real];
    else if (node.anyOf === undefined) node.anyOf = real;
    else node.allOf = [...allOf, { anyOf: real }];
  }

  if (typeof node.format === 'string') formats.add(node.format);
}

// ---------------------------------------------------------------------------------------------
// ajv
// ---------------------------------------------------------------------------------------------

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function createAjv(coerce: boolean, formats: Set<string>): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    coerceTypes: coerce,
    // The document root is an OpenAPI object, not a schema; meta-validating it is meaningless.
    validateSchema: false,
    // Spec patterns are plain ECMA-262 regexes; under the `u` flag DHL's `\-` is a syntax error.
    unicodeRegExp: false,
    // Decimal steps like DHL's `multipleOf: 0.001` fail on binary floats (150.57 / 0.00001 is not
    // an integer in IEEE 754); tolerate rounding noise below one millionth of a step.
    multipleOfPrecision: 6,
  });
  addFormats(ajv);
  // OpenAPI's own formats: the numeric ones are checkable, the others only name an encoding.
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  for (const name of ['float', 'double', 'binary', 'password']) ajv.addFormat(name, true);
  // Carrier-invented formats (`YYYY-MM-DD`, `cityName`, ...) are documentation, not rules.
  for (const name of formats) if (!(name in ajv.formats)) ajv.addFormat(name, true);
  return ajv;
}

let docCounter = 0;

interface OperationEntry {
  method: string;
  template: string;
  pointer: Pointer;
  operation: JsonObject;
  pathItem: JsonObject;
  operationId: string | undefined;
  deprecated: boolean;
  /** Regex sources for the server path prefixes that may precede the template. */
  serverPrefixes: string[];
  templateSource: string;
  paramNames: string[];
  literalLength: number;
  matcher: RegExp;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The path part of a server URL as a regex source, with server variables matching a segment. */
function serverPathSource(url: string): string {
  const marker = 'zzsrvvarzz';
  let pathname: string;
  try {
    pathname = new URL(url.replace(/\{[^}]*\}/g, marker), 'http://relative.invalid').pathname;
  } catch {
    pathname = '/';
  }
  return escapeRegex(pathname.replace(/\/+$/, '')).replace(new RegExp(marker, 'g'), '[^/]+');
}

function serverUrls(servers: Json | undefined): string[] | null {
  if (!Array.isArray(servers) || servers.length === 0) return null;
  return servers.flatMap((s) => (isObject(s) && typeof s.url === 'string' ? [s.url] : []));
}

function buildMatcher(prefixes: readonly string[], templateSource: string): RegExp {
  return new RegExp(`^(?:${prefixes.join('|')})${templateSource}$`);
}

class SpecState {
  readonly operations: OperationEntry[] = [];
  private readonly docId = `https://contract.invalid/spec-${++docCounter}.json`;
  private readonly converted: JsonObject;
  private readonly formats: Set<string>;
  private strictAjv: Ajv | undefined;
  private coercingAjv: Ajv | undefined;
  private readonly validators = new Map<string, ValidateFunction | Error>();

  constructor(readonly spec: ContractSpec) {
    const document = spec.document as JsonObject;
    this.converted = structuredClone(document);
    this.formats = convertDocument(this.converted);
    this.converted.$id = this.docId;
    this.indexOperations(document);
  }

  private indexOperations(document: JsonObject): void {
    const globalServers = serverUrls(document.servers) ?? ['/'];
    const paths = isObject(document.paths) ? document.paths : {};
    for (const [template, rawItem] of Object.entries(paths)) {
      const item = deref(document, rawItem, ['paths', template]);
      if (item === null) continue;
      const pathServers = serverUrls(item.value.servers) ?? globalServers;
      let templateSource = '';
      let literalLength = 0;
      const paramNames: string[] = [];
      for (const part of template.split(/(\{[^}]+\})/)) {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (name !== undefined) {
          paramNames.push(name);
          templateSource += '([^/]+)';
        } else {
          literalLength += part.length;
          templateSource += escapeRegex(part);
        }
      }
      for (const method of HTTP_METHODS) {
        const operation = item.value[method];
        if (!isObject(operation)) continue;
        const serverPrefixes = [
          ...new Set((serverUrls(operation.servers) ?? pathServers).map(serverPathSource)),
        ];
        this.operations.push({
          method,
          template,
          pointer: [...item.pointer, method],
          operation,
          pathItem: item.value,
          operationId: typeof operation.operationId === 'string' ? operation.operationId : undefined,
          deprecated: operation.deprecated === true,
          serverPrefixes,
          templateSource,
          paramNames,
          literalLength,
          matcher: buildMatcher(serverPrefixes, templateSource),
        });
      }
    }
  }

  private ajv(coerce: boolean): Ajv {
    if (coerce) {
      this.coercingAjv ??= this.newAjv(true);
      return this.coercingAjv;
    }
    this.strictAjv ??= this.newAjv(false);
    return this.strictAjv;
  }

  private newAjv(coerce: boolean): Ajv {
    const ajv = createAjv(coerce, this.formats);
    ajv.addSchema(this.converted);
    return ajv;
  }

  /** Compiled validator for the schema at `pointer`; compile failures are cached as errors too. */
  validator(pointer: Pointer, coerce: boolean): ValidateFunction | Error {
    const key = `${coerce ? 'c' : 's'}${pointerToRef('', pointer)}`;
    let found = this.validators.get(key);
    if (found === undefined) {
      try {
        found = this.ajv(coerce).compile({ $ref: pointerToRef(this.docId, pointer) });
      } catch (error) {
        found = error instanceof Error ? error : new Error(String(error));
      }
      this.validators.set(key, found);
    }
    return found;
  }
}

const states = new WeakMap<ContractSpec, SpecState>();

function stateOf(spec: ContractSpec): SpecState {
  const state = states.get(spec);
  if (state === undefined) throw new Error('openapi-contract: pass a spec obtained from loadSpec()');
  return state;
}

// ---------------------------------------------------------------------------------------------
// Request validation
// ---------------------------------------------------------------------------------------------

function formatAjvError(subject: string, error: ErrorObject): string {
  let message = error.message ?? `fails ${error.keyword}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'enum') message += ` ${JSON.stringify(params.allowedValues)}`;
  if (error.keyword === 'additionalProperties') message += ` '${String(params.additionalProperty)}'`;
  return `${subject}${error.instancePath}: ${message}`;
}

function runValidator(
  state: SpecState,
  pointer: Pointer,
  coerce: boolean,
  subject: string,
  data: unknown,
  errors: string[],
): void {
  const validate = state.validator(pointer, coerce);
  if (validate instanceof Error) {
    errors.push(
      `${subject}: spec schema at ${pointerToRef('', pointer)} cannot be compiled: ${validate.message}`,
    );
    return;
  }
  if (validate(data)) return;
  for (const error of validate.errors ?? []) {
    const line = formatAjvError(subject, error);
    if (!errors.includes(line)) errors.push(line);
  }
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schemaPointer: Pointer | null;
  schema: JsonObject | null;
  explode: boolean | undefined;
  /** Declared through `content` instead of `schema`: the value is serialized JSON. */
  json: boolean;
}

function collectParameters(root: JsonObject, entry: OperationEntry): Parameter[] {
  const byKey = new Map<string, Parameter>();
  const sources: [Json | undefined, Pointer][] = [
    [entry.pathItem.parameters, [...entry.pointer.slice(0, -1), 'parameters']],
    [entry.operation.parameters, [...entry.pointer, 'parameters']],
  ];
  for (const [list, listPointer] of sources) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, index) => {
      const located = deref(root, raw, [...listPointer, String(index)]);
      if (located === null) return;
      const p = located.value;
      if (typeof p.name !== 'string' || typeof p.in !== 'string') return;
      let schemaPointer: Pointer | null = null;
      let json = false;
      if (isObject(p.schema)) {
        schemaPointer = [...located.pointer, 'schema'];
      } else if (isObject(p.content)) {
        const mediaType = Object.keys(p.content)[0];
        if (mediaType !== undefined) schemaPointer = [...located.pointer, 'content', mediaType, 'schema'];
        json = true;
      }
      const schema =
        schemaPointer === null ? null : (deref(root, getAt(root, schemaPointer), [])?.value ?? null);
      const location = p.in.toLowerCase();
      // Header names are case-insensitive, and a later (operation-level) entry overrides.
      const key = `${location}:${location === 'header' ? p.name.toLowerCase() : p.name}`;
      byKey.set(key, {
        name: p.name,
        in: location,
        required: p.required === true || location === 'path',
        schemaPointer,
        schema,
        explode: typeof p.explode === 'boolean' ? p.explode : undefined,
        json,
      });
    });
  }
  return [...byKey.values()];
}

/** Shapes a raw string (or repeated query values) the way the parameter's schema expects. */
function parameterValue(param: Parameter, values: string[]): unknown {
  const type = param.schema?.type;
  if (type === 'array') {
    const explodes = param.explode ?? param.in === 'query';
    return explodes && values.length > 1 ? values : (values[0] ?? '').split(',');
  }
  const value = values[values.length - 1] ?? '';
  if (param.json) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function checkParameters(
  state: SpecState,
  entry: OperationEntry,
  pathValues: Map<string, string>,
  query: URLSearchParams,
  headers: Map<string, string>,
  errors: string[],
): void {
  // Report by location (path, query, header), then in spec order, whatever order the spec uses.
  const order = ['path', 'query', 'header', 'cookie'];
  const params = collectParameters(state.spec.document as JsonObject, entry).sort(
    (a, b) => order.indexOf(a.in) - order.indexOf(b.in),
  );
  for (const param of params) {
    let values: string[];
    if (param.in === 'path') {
      const raw = pathValues.get(param.name);
      values = raw === undefined ? [] : [raw];
    } else if (param.in === 'query') {
      values = query.getAll(param.name);
    } else if (param.in === 'header') {
      const raw = headers.get(param.name.toLowerCase());
      values = raw === undefined ? [] : [raw];
    } else {
      continue; // cookie parameters: the gateway sends no cookies to carriers
    }
    const subject = `${param.in} ${param.name}`;
    if (values.length === 0) {
      if (param.required) errors.push(`${subject}: required by the spec but missing`);
      continue;
    }
    if (param.schemaPointer === null) continue;
    // Parameters travel as text; coercion lets `type: integer` accept "1" as the wire format does.
    runValidator(state, param.schemaPointer, true, subject, parameterValue(param, values), errors);
  }
}

function checkSecurity(
  document: JsonObject,
  entry: OperationEntry,
  headers: Map<string, string>,
  query: URLSearchParams,
  errors: string[],
): void {
  const requirements = entry.operation.security ?? document.security;
  if (!Array.isArray(requirements) || requirements.length === 0) return;
  const schemes =
    isObject(document.components) && isObject(document.components.securitySchemes)
      ? document.components.securitySchemes
      : {};
  const failures: string[] = [];
  for (const requirement of requirements) {
    if (!isObject(requirement)) continue;
    const problems: string[] = [];
    for (const name of Object.keys(requirement)) {
      const scheme = deref(document, schemes[name], ['components', 'securitySchemes', name])?.value;
      const problem =
        scheme === undefined
          ? `scheme '${name}' is not defined in the spec`
          : securityProblem(scheme, headers, query);
      if (problem !== null) problems.push(`${name}: ${problem}`);
    }
    if (problems.length === 0) return; // one satisfied alternative is enough; {} means optional
    failures.push(problems.join(' and '));
  }
  errors.push(`security: no declared alternative is satisfied (${failures.join('; or ')})`);
}

function securityProblem(
  scheme: JsonObject,
  headers: Map<string, string>,
  query: URLSearchParams,
): string | null {
  const authorization = headers.get('authorization') ?? '';
  const type = typeof scheme.type === 'string' ? scheme.type.toLowerCase() : '';
  if (type === 'http') {
    const wanted = typeof scheme.scheme === 'string' ? scheme.scheme.toLowerCase() : '';
    if (wanted === 'basic') return basicProblem(authorization);
    return hasScheme(authorization, wanted) ? null : `expected 'authorization: ${wanted} <credentials>'`;
  }
  if (type === 'oauth2' || type === 'openidconnect') {
    return hasScheme(authorization, 'bearer') ? null : "expected 'authorization: Bearer <token>'";
  }
  if (type === 'apikey' && typeof scheme.name === 'string') {
    const name = scheme.name;
    if (scheme.in === 'header') return headers.get(name.toLowerCase()) ? null : `expected header '${name}'`;
    if (scheme.in === 'query') return query.get(name) ? null : `expected query parameter '${name}'`;
    if (scheme.in === 'cookie') {
      const cookies = (headers.get('cookie') ?? '').split(';').map((c) => c.trim().split('=')[0]);
      return cookies.includes(name) ? null : `expected cookie '${name}'`;
    }
  }
  return `unsupported security scheme type '${type}'`;
}

function hasScheme(authorization: string, scheme: string): boolean {
  return new RegExp(`^${escapeRegex(scheme)} +\\S`, 'i').test(authorization);
}

function basicProblem(authorization: string): string | null {
  const match = /^Basic +(\S+)$/i.exec(authorization);
  if (match?.[1] === undefined) return "expected 'authorization: Basic <base64(id:secret)>'";
  return Buffer.from(match[1], 'base64').toString('utf8').includes(':')
    ? null
    : "'authorization: Basic' credentials do not decode to 'id:secret'";
}

function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** The declared media type serving `actual`: exact first, then `type/*`, then `*\/*`. */
function matchMediaType(declared: string[], actual: string): string | undefined {
  const normal = new Map(declared.map((d) => [mediaTypeOf(d), d]));
  const major = actual.split('/')[0] ?? '';
  return normal.get(actual) ?? normal.get(`${major}/*`) ?? normal.get('*/*');
}

function decodeForm(text: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else result[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return result;
}

function checkBody(
  state: SpecState,
  entry: OperationEntry,
  headers: Map<string, string>,
  body: string | Buffer | undefined,
  errors: string[],
): void {
  const document = state.spec.document as JsonObject;
  const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
  const requestBody =
    entry.operation.requestBody === undefined
      ? null
      : deref(document, entry.operation.requestBody, [...entry.pointer, 'requestBody']);
  if (requestBody === null) {
    if (text !== '') errors.push('body: the operation declares no requestBody, but a body was sent');
    return;
  }
  if (text === '') {
    if (requestBody.value.required === true) errors.push('body: required by the spec but missing');
    return;
  }
  const content = isObject(requestBody.value.content) ? requestBody.value.content : {};
  const declared = Object.keys(content);
  const contentType = headers.get('content-type');
  if (contentType === undefined) {
    errors.push(
      `header content-type: missing although a body was sent (spec accepts ${declared.join(', ')})`,
    );
    return;
  }
  const actual = mediaTypeOf(contentType);
  const mediaKey = matchMediaType(declared, actual);
  if (mediaKey === undefined) {
    errors.push(`header content-type: '${actual}' is not accepted (spec accepts ${declared.join(', ')})`);
    return;
  }
  const media = content[mediaKey];
  if (!isObject(media) || media.schema === undefined) return; // no schema declared: any body goes
  const schemaPointer = [...requestBody.pointer, 'content', mediaKey, 'schema'];

  if (actual === 'application/json' || actual.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      errors.push(`body: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    runValidator(state, schemaPointer, false, 'body', parsed, errors);
  } else if (actual === 'application/x-www-form-urlencoded') {
    // Form fields are text on the wire; coercion lets numeric/boolean schema types accept them.
    runValidator(state, schemaPointer, true, 'body', decodeForm(text), errors);
  } else {
    errors.push(`body: content-type '${actual}' is declared by the spec but this kit cannot validate it`);
  }
}

function describeCandidates(entries: readonly OperationEntry[]): string {
  const templates = [...new Set(entries.map((e) => e.template))];
  const shown = templates.slice(0, 12).join(', ');
  return templates.length > 12 ? `${shown}, ... (${templates.length} paths)` : shown;
}

/**
 * Validates one outgoing request against the operation it addresses in `spec`. Never throws for
 * a non-conforming request; `errors` lists every violation found, one readable line each.
 */
export function validateRequest(
  spec: ContractSpec,
  req: ContractRequest,
  opts: ContractOptions = {},
): ContractResult {
  const state = stateOf(spec);
  const document = spec.document as JsonObject;
  const method = req.method.toLowerCase();
  const url = new URL(req.url, 'http://request.invalid');
  const requestPath = url.pathname;

  let basePrefix: string | undefined;
  if (opts.serverBase !== undefined) {
    basePrefix = escapeRegex(new URL(opts.serverBase, 'http://base.invalid').pathname.replace(/\/+$/, ''));
  }

  const pathMatches: { entry: OperationEntry; match: RegExpExecArray }[] = [];
  for (const entry of state.operations) {
    const matcher =
      basePrefix === undefined
        ? entry.matcher
        : buildMatcher(
            [...entry.serverPrefixes, basePrefix, ...entry.serverPrefixes.map((p) => basePrefix + p)],
            entry.templateSource,
          );
    const match = matcher.exec(requestPath);
    if (match !== null) pathMatches.push({ entry, match });
  }

  const label = `${req.method.toUpperCase()} ${requestPath}`;
  if (pathMatches.length === 0) {
    const prefixes = [...new Set(state.operations.flatMap((e) => e.serverPrefixes))]
      .map((p) => (p === '' ? '(none)' : p.replace(/\\/g, '')))
      .join(', ');
    const extra = basePrefix === undefined ? '' : ` plus serverBase ${opts.serverBase ?? ''}`;
    return {
      ok: false,
      errors: [
        `no operation in ${spec.file} matches ${label} (server prefixes: ${prefixes}${extra}; ` +
          `paths: ${describeCandidates(state.operations)})`,
      ],
    };
  }

  const candidates = pathMatches
    .filter(({ entry }) => entry.method === method)
    // Concrete beats templated (most literal characters first); among equals, such as UPS's
    // `{version}` and `{deprecatedVersion}` twins, the current operation beats the deprecated one.
    .sort(
      (a, b) =>
        b.entry.literalLength - a.entry.literalLength ||
        Number(a.entry.deprecated) - Number(b.entry.deprecated),
    );
  const chosen = candidates[0];
  if (chosen === undefined) {
    const allowed = [...new Set(pathMatches.map(({ entry }) => entry.method.toUpperCase()))].join(', ');
    return {
      ok: false,
      errors: [
        `no ${req.method.toUpperCase()} operation in ${spec.file} for ${requestPath} (spec allows ${allowed})`,
      ],
    };
  }

  const { entry, match } = chosen;
  const errors: string[] = [];
  const pathValues = new Map<string, string>();
  entry.paramNames.forEach((name, index) => {
    const raw = match[index + 1] ?? '';
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      errors.push(`path ${name}: invalid percent-encoding '${raw}'`);
    }
    pathValues.set(name, value);
  });
  const headers = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));

  checkParameters(state, entry, pathValues, url.searchParams, headers, errors);
  checkSecurity(document, entry, headers, url.searchParams, errors);
  checkBody(state, entry, headers, req.body, errors);

  return {
    ok: errors.length === 0,
    operationId: entry.operationId,
    operation: `${entry.method.toUpperCase()} ${entry.template}`,
    errors,
  };
}
