/**
 * @module http/openapi
 * The gateway's own API as an OpenAPI 3.1 document, built from the routes' docs
 * (src/http/openapi-route.ts) and the zod schemas they validate with (zod 4's JSON Schema output,
 * draft 2020-12, which OpenAPI 3.1 uses as is), plus the pass-through, which runs outside hono.
 * Every route's problem codes become its error answers, each linking to the code's section of
 * `/docs/errors`, which is where a problem's `type` points.
 */
import { z } from 'zod';

import { ERROR_CATALOGUE, type GatewayErrorCode } from '../core/errors.js';
import { templatePath, type RouteAnswer, type RouteDoc } from './openapi-route.js';
import { PROBLEM_EXAMPLE, problemSchema } from './openapi-schemas.js';

export const ERRORS_PAGE = '/docs/errors';
/** The proxy's route, as documented (hono never sees it: src/proxy/proxy-handler.ts). */
const PROXY_PATH = '/v1/carriers/{accountId}/{path}';

type Json = Record<string, unknown>;

/**
 * Problems any route may answer: a bug, an instance on its way out, and what node:http refuses
 * before any route runs (src/lifecycle/client-errors.ts): oversized headers, a stalled request,
 * a malformed one, a request for another host.
 */
const EVERY_ROUTE: readonly GatewayErrorCode[] = [
  'ERR_INTERNAL',
  'ERR_SHUTTING_DOWN',
  'ERR_HEADERS_TOO_LARGE',
  'ERR_REQUEST_TIMEOUT',
  'ERR_REQUEST_STREAM_INVALID',
  // An absolute-form target naming another host (src/http/request-target.ts).
  'ERR_MISDIRECTED_REQUEST',
];

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete json['$schema'];
  return json;
};

const SECURITY: Record<RouteDoc['auth'], Json[]> = {
  client: [{ clientKey: [] }],
  admin: [{ adminKey: [] }],
  'admin-or-client': [{ adminKey: [] }, { clientKey: [] }],
  none: [],
};

function problemAnswers(codes: readonly GatewayErrorCode[]): Json {
  const byStatus = new Map<number, GatewayErrorCode[]>();
  for (const code of new Set([...codes, ...EVERY_ROUTE])) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const answers: Json = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    answers[String(status)] = {
      description: list
        .map((code) => `[\`${code}\`](${ERRORS_PAGE}#${code}): ${ERROR_CATALOGUE[code].title}`)
        .join('\n\n'),
      ...(status === 401
        ? { headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } }
        : {}),
      content: {
        'application/problem+json': {
          schema: { $ref: '#/components/schemas/Problem' },
          examples: Object.fromEntries(
            list.map((code) => [
              code,
              {
                summary: ERROR_CATALOGUE[code].title,
                value: {
                  type: `${ERRORS_PAGE}#${code}`,
                  title: ERROR_CATALOGUE[code].title,
                  status,
                  code,
                  instance: PROBLEM_EXAMPLE.instance,
                },
              },
            ]),
          ),
        },
      },
    };
  }
  return answers;
}

function answer(spec: RouteAnswer): Json {
  return {
    description: spec.description,
    headers: {
      'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
      ...Object.fromEntries(
        Object.entries(spec.headers ?? {}).map(([name, description]) => [
          name,
          { description, schema: { type: 'string' } },
        ]),
      ),
    },
    ...(spec.schema !== undefined
      ? {
          content: {
            [spec.contentType ?? 'application/json']: {
              schema: toSchema(spec.schema, 'output'),
              ...(spec.example !== undefined ? { example: spec.example } : {}),
            },
          },
        }
      : spec.contentType !== undefined
        ? { content: { [spec.contentType]: { schema: { type: 'string' } } } }
        : {}),
  };
}

function operation(doc: RouteDoc): Json {
  const query = doc.query !== undefined ? toSchema(doc.query, 'input') : { properties: {}, required: [] };
  const required = (query['required'] ?? []) as string[];
  const parameters: Json[] = [
    ...Object.entries(doc.params ?? {}).map(([name, description]) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: { type: 'string' },
    })),
    ...Object.entries(query['properties'] as Json).map(([name, schema]) => ({
      name,
      in: 'query',
      required: required.includes(name),
      schema,
    })),
    ...(doc.headers ?? []).map((header) => ({
      name: header.name,
      in: 'header',
      required: header.required === true,
      description: header.description,
      schema: { type: 'string' },
    })),
    { $ref: '#/components/parameters/X-Request-Id' },
    { $ref: '#/components/parameters/traceparent' },
  ];
  return {
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    security: SECURITY[doc.auth],
    parameters,
    ...(doc.body
      ? {
          requestBody: {
            required: true,
            ...(doc.body.description !== undefined ? { description: doc.body.description } : {}),
            content: {
              'application/json': { schema: toSchema(doc.body.schema, 'input'), example: doc.body.example },
            },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(Object.entries(doc.answers).map(([status, spec]) => [status, answer(spec)])),
      ...problemAnswers(doc.problems),
    },
  };
}

const PROXY_PROBLEMS: readonly GatewayErrorCode[] = [
  'ERR_UNAUTHENTICATED',
  'ERR_ACCOUNT_FORBIDDEN',
  'ERR_ACCOUNT_NOT_FOUND',
  'ERR_PATH_REJECTED',
  'ERR_BODY_TOO_LARGE',
  'ERR_CARRIER_UNREACHABLE',
  'ERR_CARRIER_TIMEOUT',
  'ERR_TOKEN_ENDPOINT_UNREACHABLE',
  'ERR_TOKEN_ENDPOINT_TIMEOUT',
  'ERR_TOKEN_ENDPOINT_SERVER_ERROR',
  'ERR_TOKEN_ENDPOINT_THROTTLED',
  'ERR_TOKEN_INVALID_CLIENT',
  'ERR_TOKEN_INVALID_GRANT',
  'ERR_TOKEN_INVALID_SCOPE',
  'ERR_TOKEN_UNAUTHORIZED_CLIENT',
  'ERR_TOKEN_REQUEST_REJECTED',
  'ERR_TOKEN_MALFORMED_RESPONSE',
  'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
  'ERR_TOKEN_JWT_INVALID',
  'ERR_REFRESH_OUTCOME_UNKNOWN',
  'ERR_REAUTHORIZATION_REQUIRED',
  'ERR_LOCK_TIMEOUT',
  'ERR_REDIS_UNAVAILABLE',
  'ERR_DEPENDENT_TOKEN_NOT_CONFIGURED',
  'ERR_REQUEST_STREAM_INVALID',
  'ERR_REQUEST_TIMEOUT',
  'ERR_CLIENT_CONCURRENCY',
];

/** The pass-through: every method, documented once and listed per method. */
function proxyPath(): Json {
  const base = (method: string) => ({
    operationId: `passThrough${method[0]!.toUpperCase()}${method.slice(1)}`,
    tags: ['Pass-through'],
    summary: `${method.toUpperCase()} through to the carrier API`,
    description:
      "Forwards to the account's API base + `path` with the carrier's authentication injected " +
      "(its token, static key or dependent token), the client's `Authorization`, cookies and " +
      'hop-by-hop headers dropped, and streams the answer back as the carrier sent it. `path` may ' +
      'hold slashes (the rest of the URL); dot segments, encoded slashes, fragments and control ' +
      'characters are refused. A refused token is renewed and the call sent once more when that is ' +
      'safe (idempotent, bodiless). The carrier receives the W3C `traceparent` of the request.',
    security: SECURITY.client,
    parameters: [
      { name: 'accountId', in: 'path', required: true, schema: { type: 'string' }, example: 'ups-demo' },
      {
        name: 'path',
        in: 'path',
        required: true,
        description: 'The carrier API path, slashes included',
        schema: { type: 'string' },
        example: 'api/track/v1/details/1Z12345E0205271688',
      },
      { $ref: '#/components/parameters/X-Request-Id' },
      { $ref: '#/components/parameters/traceparent' },
    ],
    ...(['post', 'put', 'patch'].includes(method)
      ? {
          requestBody: {
            description: "The carrier's own request body, passed as is",
            content: { '*/*': { schema: {} } },
          },
        }
      : {}),
    responses: {
      default: {
        description: "The carrier's answer (status, headers but hop-by-hop ones, body), streamed",
        headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
        content: { '*/*': { schema: {} } },
      },
      ...problemAnswers(PROXY_PROBLEMS),
    },
  });
  return Object.fromEntries(
    ['get', 'post', 'put', 'patch', 'delete'].map((method) => [method, base(method)]),
  );
}

export interface OpenApiOptions {
  version: string;
}

export function buildOpenApi(docs: readonly RouteDoc[], options: OpenApiOptions): Json {
  const paths: Record<string, Json> = { [PROXY_PATH]: proxyPath() };
  for (const doc of docs) {
    const path = templatePath(doc.path);
    paths[path] = { ...paths[path], [doc.method]: operation(doc) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'carrier-gateway',
      version: options.version,
      description:
        'One API for every carrier: the pass-through to carrier APIs with authentication injected, ' +
        'labels with safe failover, account health, and the operators\u2019 API. Every error is an ' +
        `RFC 9457 problem with a stable \`code\`, explained in [the error reference](${ERRORS_PAGE}). ` +
        'Every answer carries `X-Request-Id` (yours when you send a valid one, or the trace id of ' +
        'your `traceparent`), and problems name it in `instance`.',
    },
    servers: [{ url: '/', description: 'this gateway' }],
    tags: [
      { name: 'Pass-through' },
      { name: 'Shipments' },
      { name: 'Accounts' },
      { name: 'Health' },
      { name: 'Operations' },
      { name: 'Onboarding' },
      { name: 'Documentation' },
    ],
    paths,
    components: {
      securitySchemes: {
        clientKey: {
          type: 'http',
          scheme: 'bearer',
          description: "A shipping app's key (`clients[].apiKey`): its own accounts only",
        },
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description: "An operator's key (`admins[].apiKey`): every account, audited",
        },
      },
      schemas: { Problem: toSchema(problemSchema, 'output') },
      parameters: {
        'X-Request-Id': {
          name: 'X-Request-Id',
          in: 'header',
          description:
            'Your id for this request (letters, digits and ._:@/+=-, at most 128); kept when valid',
          schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$' },
        },
        traceparent: {
          name: 'traceparent',
          in: 'header',
          description: 'W3C Trace Context; its trace id becomes the request id when no X-Request-Id is sent',
          schema: { type: 'string' },
        },
      },
      headers: {
        'X-Request-Id': {
          description: 'The request id, also in the access log and in a problem\u2019s `instance`',
          schema: { type: 'string' },
        },
        'WWW-Authenticate': {
          description: 'The bearer challenge (RFC 6750 3)',
          schema: { type: 'string', example: 'Bearer realm="carrier-gateway"' },
        },
      },
    },
  };
}
