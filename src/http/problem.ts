/**
 * @module http/problem
 * Writes the one error envelope (RFC 9457 problem+json) on a raw node:http response, for the
 * proxy's hot path which does not go through hono.
 */
import type { ServerResponse } from 'node:http';

import { PROBLEM_CONTENT_TYPE, toProblem } from '../core/errors.js';

export function sendProblem(res: ServerResponse, error: unknown): void {
  const problem = toProblem(error);
  if (res.headersSent) {
    // The carrier's answer had started streaming; the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  const headers: Record<string, string | number> = {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
  };
  if (problem.retryAfterSeconds !== undefined) headers['retry-after'] = problem.retryAfterSeconds;
  res.writeHead(problem.status, headers);
  res.end(body);
}
