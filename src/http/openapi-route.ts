/**
 * @module http/openapi-route
 * How a route describes itself. Each file under src/http/routes/ exports a `RouteDoc` next to its
 * handler (method, path, what it does, who may call it, the zod schemas it validates with, its
 * answers with an example, and the problem codes it can answer); src/http/app.ts registers the
 * pair with `documented(app, doc, handler)`, which takes the method and path from the doc, so a
 * route and its description cannot drift apart. `GET /openapi.json` (src/http/openapi.ts) is built
 * from what was registered, and test/http/openapi.test.ts fails for any route of the app that was
 * registered without a doc.
 *
 * Adding a route: write `export const fooDoc: RouteDoc = {...}` beside the handler, then
 * `documented(app, fooDoc, foo(deps))` in app.ts. That is all.
 */
import type { Handler, Hono } from 'hono';
import type { z } from 'zod';

import type { GatewayErrorCode } from '../core/errors.js';
import type { AppEnv } from './env.js';

/** Who may call a route: the `security` of its operation. */
export type RouteAuth =
  /** `Authorization: Bearer <client apiKey>` (a shipping app). */
  | 'client'
  /** `Authorization: Bearer <admin apiKey>` (an operator). */
  | 'admin'
  /** Either; an admin sees every account, a client its own. */
  | 'admin-or-client'
  /** No key (probes, the carrier's redirect, static pages). */
  | 'none';

export interface RouteAnswer {
  description: string;
  /** The body's schema; absent for an answer with no JSON body (a redirect, an HTML page). */
  schema?: z.ZodType;
  /** A realistic body; test/http/openapi.test.ts validates it against `schema`. */
  example?: unknown;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteHeader {
  name: string;
  description: string;
  required?: boolean;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** hono's form: `/v1/health/carriers/:id`. */
  path: string;
  /** A unique camelCase name (the operationId). */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** Each path parameter's meaning. */
  params?: Record<string, string>;
  /** The query schema the handler parses with. */
  query?: z.ZodObject;
  headers?: RouteHeader[];
  /** The body schema the handler parses with, and an example that passes it. */
  body?: { schema: z.ZodType; example: unknown; description?: string };
  /** Successful answers by status. */
  answers: Record<number, RouteAnswer>;
  /** Every problem code the route itself can answer (key and body refusals included). */
  problems: readonly GatewayErrorCode[];
}

/** `/v1/health/carriers/:id` as the OpenAPI document and the access log write it: `{id}`. */
export const templatePath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const DOCS = new WeakMap<object, RouteDoc[]>();

/** Registers `handler` at the doc's method and path, and keeps the doc for `/openapi.json`. */
export function documented(app: Hono<AppEnv>, doc: RouteDoc, handler: Handler<AppEnv>): void {
  app.on(doc.method.toUpperCase(), doc.path, handler);
  const docs = DOCS.get(app) ?? [];
  docs.push(doc);
  DOCS.set(app, docs);
}

/** The docs of every route registered on `app` with `documented`, in registration order. */
export function routeDocs(app: Hono<AppEnv>): readonly RouteDoc[] {
  return DOCS.get(app) ?? [];
}
