/**
 * @module http/problem
 * The one error envelope (RFC 9457 problem+json) as an HTTP answer: its body, with `instance`
 * naming the request (`urn:request-id:<X-Request-Id>`, what the access log and the caller's own
 * logs share), and its headers: `Retry-After` when trying again makes sense, and on a 401 the
 * `WWW-Authenticate` challenge RFC 9110 11.6.1 requires (Bearer, RFC 6750 3). The hono app
 * (src/http/app.ts) and the raw node:http paths (the proxy, the drain) both answer through here.
 */
import type { ServerResponse } from 'node:http';

import type { z } from 'zod';

import {
  GatewayError,
  PROBLEM_CONTENT_TYPE,
  toProblem,
  type GatewayErrorCode,
  type Problem,
} from '../core/errors.js';
import { REQUEST_ID_HEADER } from './request-trace.js';

/** The challenge of every 401: the gateway's keys are bearer tokens (RFC 6750 3). */
export const WWW_AUTHENTICATE = 'Bearer realm="carrier-gateway"';

export interface ProblemAnswer {
  problem: Problem;
  body: string;
  headers: Record<string, string>;
}

/**
 * A refused body or query as a problem: `code`, a one-line `detail` and an `errors` member with
 * each field's complaint (`(body)` / `(query)` when the whole of it is wrong).
 */
export function invalidInput(
  code: GatewayErrorCode,
  error: z.ZodError,
  where: 'body' | 'query',
): GatewayError {
  const errors = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || `(${where})`,
    message: issue.message,
  }));
  return new GatewayError(code, undefined, {
    detail: errors.map((entry) => `${entry.field}: ${entry.message}`).join('; '),
    extensions: { errors },
  });
}

export function problemAnswer(error: unknown, requestId: string | undefined): ProblemAnswer {
  const problem = toProblem(error);
  if (requestId !== undefined) problem.instance = `urn:request-id:${requestId}`;
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (problem.retryAfterSeconds !== undefined) headers['retry-after'] = String(problem.retryAfterSeconds);
  if (problem.status === 401) headers['www-authenticate'] = WWW_AUTHENTICATE;
  return { problem, body: JSON.stringify(problem), headers };
}

/** On a raw node:http response; the request id is the `X-Request-Id` the listener already set. */
export function sendProblem(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    // The carrier's answer had started streaming; the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  const requestId = res.getHeader(REQUEST_ID_HEADER);
  const answer = problemAnswer(error, typeof requestId === 'string' ? requestId : undefined);
  res.writeHead(answer.problem.status, {
    ...answer.headers,
    'content-length': Buffer.byteLength(answer.body),
  });
  res.end(answer.body);
}
