/**
 * @module test/support/forwarding-tap
 * A tap in front of a simulator: a recording server (test/support/recording-server.ts) that
 * records what the gateway sent, forwards it unchanged to the simulator, and answers with the
 * simulator's reply, so a test sees the wire format while the real simulator still answers. Every
 * access and refresh token that passes through is registered with the suite's log scan.
 * `postTokenForm` is the forwarding step for taps that rewrite a token request first.
 */
import { request as undiciRequest } from 'undici';

import { registerSecrets } from './log-capture.js';
import {
  startRecordingServer,
  type RecordedRequest,
  type RecordedResponse,
  type RecordingServer,
} from './recording-server.js';

export interface ForwardingTap {
  server: RecordingServer;
  /** Parsed JSON bodies of the simulator's answers, in request order. */
  answers: Record<string, unknown>[];
  url: string;
  close(): Promise<void>;
}

/** Headers undici refuses to send or that belong to the hop, not the request. */
const HOP_HEADERS = ['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'expect'];

/**
 * `forward` names the answer headers passed back (when the simulator sent them); without
 * `content-type` among them, answers go back as `application/json`.
 */
export async function startForwardingTap(target: string, forward: string[] = []): Promise<ForwardingTap> {
  const answers: Record<string, unknown>[] = [];
  const server = await startRecordingServer(async (req) => {
    const headers = { ...req.headers };
    for (const name of HOP_HEADERS) delete headers[name];
    const response = await undiciRequest(`${target}${req.url}`, {
      method: req.method as 'GET' | 'POST',
      headers,
      ...(req.method === 'GET' ? {} : { body: req.body }),
    });
    const text = await response.body.text();
    const answer = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['access_token', 'refresh_token']) {
      if (typeof answer[key] === 'string') registerSecrets(answer[key]);
    }
    answers.push(answer);
    const forwarded: Record<string, string> = {};
    if (!forward.includes('content-type')) {
      const contentType = response.headers['content-type'];
      forwarded['content-type'] = typeof contentType === 'string' ? contentType : 'application/json';
    }
    for (const name of forward) {
      const value = response.headers[name];
      if (typeof value === 'string') forwarded[name] = value;
    }
    return { status: response.statusCode, headers: forwarded, body: text };
  });
  return { server, answers, url: server.url, close: () => server.close() };
}

/** Sends a (rewritten) token request form on to `tokenUrl`; the answer, as JSON, for the tap to return. */
export async function postTokenForm(
  tokenUrl: string,
  form: URLSearchParams,
  authorization: string,
): Promise<RecordedResponse> {
  const response = await undiciRequest(tokenUrl, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return {
    status: response.statusCode,
    headers: { 'content-type': 'application/json' },
    body: await response.body.text(),
  };
}

/**
 * A stand-in in front of a simulator that answers some requests itself (`intercept` returns the
 * answer) and forwards the rest unchanged, for a carrier answer no simulator fault gives (a
 * refusal with a leaky message, a failing operation). Every request is recorded.
 */
export async function startInterposer(
  target: string,
  intercept: (req: RecordedRequest) => RecordedResponse | undefined,
): Promise<RecordingServer> {
  return startRecordingServer(async (req) => {
    const own = intercept(req);
    if (own) return own;
    const headers = { ...req.headers };
    for (const name of HOP_HEADERS) delete headers[name];
    const response = await undiciRequest(`${target}${req.url}`, {
      method: req.method as 'GET' | 'POST' | 'DELETE' | 'PUT',
      headers,
      ...(req.method === 'GET' ? {} : { body: req.body }),
    });
    const contentType = response.headers['content-type'];
    return {
      status: response.statusCode,
      headers: { 'content-type': typeof contentType === 'string' ? contentType : 'application/json' },
      body: await response.body.text(),
    };
  });
}
