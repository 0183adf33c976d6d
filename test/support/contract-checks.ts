/**
 * @module test/support/contract-checks
 * The small pieces every contract test shares: the assertion that a validation passed (printing
 * the spec's complaints when it did not), and the edits a negative control makes to a recorded or
 * built request (headers gone, a JSON body or form fields changed), the path of a recorded
 * request, "exactly one of these", the stand-in carrier of a file and a proxied call to it, and
 * the specs a describe block validates against.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';

import {
  loadSpec,
  type ContractRequest,
  type ContractResult,
  type ContractSpec,
} from './openapi-contract.js';
import { startRecordingServer, type RecordingServer, type Responder } from './recording-server.js';
import { startTestGateway } from './test-gateway.js';

/**
 * Loads these spec files before the enclosing describe's tests (call it inside the describe);
 * the record it returns holds them from then on, by the names given.
 */
export function useSpecs<K extends string>(files: Record<K, string>): Record<K, ContractSpec> {
  const specs = {} as Record<K, ContractSpec>;
  beforeAll(async () => {
    const names = Object.keys(files) as K[];
    const loaded = await Promise.all(names.map((name) => loadSpec(files[name])));
    names.forEach((name, index) => (specs[name] = loaded[index]!));
  }, 30_000);
  return specs;
}

export function expectValid(result: ContractResult, operationId: string): void {
  expect(result.errors, `contract errors:\n${result.errors.join('\n')}`).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.operationId).toBe(operationId);
}

/** The request path of a recorded request's URL, without the query. */
export const pathOf = (url: string) => new URL(url, 'http://recorded.invalid').pathname;

/** The one item there must be, with `what` in the failure message. */
export function only<T>(items: T[], what: string): T {
  expect(items, `expected exactly one ${what}`).toHaveLength(1);
  return items[0]!;
}

/** The request with headers set, or removed where the value is null. */
export function withHeaders<R extends ContractRequest>(req: R, changes: Record<string, string | null>): R {
  const headers = { ...req.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return { ...req, headers };
}

/** The request with some headers removed (what a gateway that forgot them would send). */
export const withoutHeaders = <R extends ContractRequest>(req: R, ...names: string[]): R =>
  withHeaders(req, Object.fromEntries(names.map((name) => [name, null])));

/** The request with its JSON body edited in place of the original. */
export function withJsonBody<R extends ContractRequest, Body = Record<string, unknown>>(
  req: R,
  edit: (body: Body) => void,
): R {
  const body = JSON.parse(String(req.body)) as Body;
  edit(body);
  return { ...req, body: JSON.stringify(body) };
}

/** The request with form fields set, or removed where the value is null. */
export function withFormFields<R extends ContractRequest>(req: R, fields: Record<string, string | null>): R {
  const form = new URLSearchParams(String(req.body));
  for (const [name, value] of Object.entries(fields)) {
    if (value === null) form.delete(name);
    else form.set(name, value);
  }
  return { ...req, body: form.toString() };
}

export interface ProxyCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A shipping app's request through the gateway's proxy to a stand-in carrier that answers every
 * API call 200 `{}`: that answer must come back unchanged. Headers are sent as given (no
 * content type is added), so what the stand-in records is what the gateway made of them.
 */
export async function proxyToStandIn(
  gateway: { url: string },
  clientKey: string,
  account: string,
  path: string,
  init: ProxyCall = {},
): Promise<void> {
  const response = await fetch(`${gateway.url}/v1/carriers/${account}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${clientKey}`, ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(JSON.parse(text)).toEqual({});
}

/**
 * The stand-in carrier of a test file (a recording server, answering 200 `{}` unless told
 * otherwise): started before its tests, its record cleared before each, closed after them. The
 * object returned is filled in when it starts.
 */
export function useStandInCarrier(respond?: Responder): RecordingServer {
  const carrier = {} as RecordingServer;
  beforeAll(async () => {
    Object.assign(carrier, await startRecordingServer(respond ?? (() => ({ status: 200, body: {} }))));
  });
  afterAll(() => carrier.close?.());
  beforeEach(() => carrier.clear?.());
  return carrier;
}

/** `proxyToStandIn` through a fresh embedded-mode gateway with this one account, closed afterwards. */
export async function proxyThroughFreshGateway(
  clientKey: string,
  account: Record<string, unknown>,
  path: string,
  init: ProxyCall = {},
): Promise<void> {
  const gateway = await startTestGateway({ name: 'contract', clientKey, accounts: [account] });
  try {
    await proxyToStandIn(gateway, clientKey, account['id'] as string, path, init);
  } finally {
    await gateway.close();
  }
}

/**
 * A caller of proxyThroughFreshGateway for one account, `id` of `carrier`, that takes its token at
 * `tokenPath` of the stand-in and its API there (the stand-in's URL read at each call).
 */
export function throughFreshGateway(
  clientKey: string,
  standIn: { url: string },
  id: string,
  carrier: string,
  tokenPath: string,
  credentials: Record<string, string>,
): (path: string, init?: ProxyCall) => Promise<void> {
  return (path, init = {}) =>
    proxyThroughFreshGateway(
      clientKey,
      {
        id,
        carrier,
        urls: { token: `${standIn.url}${tokenPath}`, api: standIn.url },
        credentials: { ...credentials },
      },
      path,
      init,
    );
}
