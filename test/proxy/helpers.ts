/**
 * @module test/proxy/helpers
 * Shared fixtures for the proxy and security tests: a stand-in carrier that records requests
 * byte for byte (binary bodies are hashed, not decoded, so multi-megabyte uploads can be
 * compared), a raw node:http client (fetch normalises `..` and cannot send an absolute-form
 * request line), a token-endpoint tap that sees every token the carrier issues, and the gateway
 * builder these tests call with YAML.
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, beforeEach } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { Gateway, GatewayOptions } from '../../src/gateway.js';
import type { SimulatorHandle } from '../../src/sim/types.js';
import type { Problem } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeServer } from '../support/recording-server.js';
import {
  closeTestGatewaysAnd,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from '../support/test-gateway.js';

/** One request as the stand-in carrier saw it on the wire. */
export interface StubRequest {
  method: string;
  /** The request target exactly as sent in the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sha256: string;
}

/** Answers a recorded request; the body has already been read. Not ending `res` leaves the client hanging. */
export type StubHandler = (recorded: StubRequest, res: ServerResponse) => void | Promise<void>;

export interface CarrierStub {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  port: number;
  requests: StubRequest[];
  /** Sockets that ever connected, so "nothing reached this host" also covers aborted requests. */
  connections(): number;
  close(): Promise<void>;
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const okJson: StubHandler = (_recorded, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true }));
};

/** A loopback HTTP server standing in for a carrier API. The default handler answers 200 `{"ok":true}`. */
export async function startCarrierStub(handler: StubHandler = okJson): Promise<CarrierStub> {
  const requests: StubRequest[] = [];
  let connections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: StubRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        sha256: sha256(body),
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res)).catch((error: unknown) => res.destroy(error as Error));
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  return { ...(await listenOnLoopback(server)), requests, connections: () => connections };
}

/**
 * Listens on an ephemeral loopback port. `close()` also drops open connections: the gateway's
 * keep-alive pool, or a request the handler never answered, would hold it open.
 */
async function listenOnLoopback(
  server: Server,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
  };
}

/** A loopback port nothing listens on (bound, read, released). */
export { freePort as closedPort } from '../support/redis-server.js';

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends `path` verbatim in the request line (node:http does not normalise it), on a fresh
 * connection. `path` may be absolute-form (`http://host/x`).
 */
export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** fetch against the gateway, body read as text. */
export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Parses a problem+json reply, checking the envelope every gateway failure shares. */
export function problemOf(reply: {
  status: number;
  text: string;
  contentType: string | null | undefined;
}): Problem {
  if (reply.contentType !== 'application/problem+json') {
    throw new Error(`expected application/problem+json, got ${String(reply.contentType)}: ${reply.text}`);
  }
  const problem = JSON.parse(reply.text) as Problem;
  if (problem.status !== reply.status) throw new Error(`problem status ${problem.status} != ${reply.status}`);
  return problem;
}

export const problemOfReply = (reply: Reply) =>
  problemOf({ status: reply.status, text: reply.text, contentType: reply.headers.get('content-type') });

export const problemOfRaw = (reply: RawReply) =>
  problemOf({ status: reply.status, text: reply.body, contentType: reply.headers['content-type'] });

export type RunningGateway = TestGateway;

/** The client credentials the UPS and FedEx simulators of these tests know. */
export const UPS_CLIENT = { clientId: 'cid', clientSecret: 'csecret-123456' };
export const FEDEX_CLIENT = { clientId: 'fx-key', clientSecret: 'fx-secret-123456' };

/** A UPS account taking its tokens from a simulator and sending API calls to `api` (a stub, a path). */
export function upsAccount(
  id: string,
  tokenFrom: { url: string },
  api: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    carrier: 'ups',
    urls: { token: `${tokenFrom.url}/security/v1/oauth/token`, api },
    credentials: UPS_CLIENT,
    ...extra,
  };
}

export function fedexAccount(id: string, tokenFrom: { url: string }, api: string): Record<string, unknown> {
  return {
    id,
    carrier: 'fedex',
    urls: { token: `${tokenFrom.url}/oauth/token`, api },
    credentials: FEDEX_CLIENT,
  };
}

/** An embedded-mode gateway with these accounts; by default one client `shop` (SHOP_KEY) may use them all. */
export function startProxyGateway(
  accounts: Record<string, unknown>[],
  more: Pick<TestGatewayOptions, 'clients' | 'engine'> = {},
): Promise<RunningGateway> {
  return startTestGateway({ name: 'proxy-test', clientKey: SHOP_KEY, accounts, ...more });
}

/** Registers the tokens every account holds with the log scan, then closes the gateway and the rest, in order. */
export async function closeObserved(
  gw: RunningGateway | undefined,
  ...others: ({ close(): Promise<void> } | undefined)[]
): Promise<void> {
  if (gw) for (const account of gw.config.accounts) observeTokens(gw.gateway, account.id);
  await gw?.close();
  for (const other of others) await other?.close();
}

/** What a proxy test runs against (read it inside a test). */
export interface ProxyRig<Stub extends string = never> {
  ups: UpsSimulatorHandle;
  /** Started only when the setup asks for it. */
  fedex: SimulatorHandle;
  /** The stand-in carriers, by the names the setup gave them. */
  stubs: Record<Stub, CarrierStub>;
  gw: RunningGateway;
}

export interface ProxyRigSetup<Stub extends string> {
  /** Stand-in carriers to start, by name, each with its handler (`undefined`: 200 `{"ok":true}`). */
  stubs?: Record<Stub, StubHandler | undefined>;
  /** Start a FedEx simulator (FEDEX_CLIENT) beside the UPS one (UPS_CLIENT). */
  fedex?: boolean;
  accounts(started: Omit<ProxyRig<Stub>, 'gw'>): Record<string, unknown>[];
  gateway?: Parameters<typeof startProxyGateway>[1];
  /** Forget what the stand-in carriers recorded before each test. */
  clearStubs?: boolean;
}

/**
 * For a describe block: a UPS simulator (and FedEx's when asked), stand-in carriers and a gateway
 * with the setup's accounts, started before its tests; after them the tokens every account holds
 * go to the log scan and everything closes (closeObserved), the gateway first.
 */
export function useProxyRig<Stub extends string = never>(setup: ProxyRigSetup<Stub>): ProxyRig<Stub> {
  const rig = { stubs: {} } as ProxyRig<Stub>;
  beforeAll(async () => {
    rig.ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
    if (setup.fedex) rig.fedex = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
    for (const [name, handler] of Object.entries(setup.stubs ?? {}) as [Stub, StubHandler | undefined][]) {
      rig.stubs[name] = await startCarrierStub(handler);
    }
    rig.gw = await startProxyGateway(setup.accounts(rig), setup.gateway);
  });
  afterAll(() => closeObserved(rig.gw, ...Object.values<CarrierStub>(rig.stubs), rig.ups, rig.fedex));
  if (setup.clearStubs) {
    beforeEach(() => {
      for (const stub of Object.values<CarrierStub>(rig.stubs)) stub.requests.length = 0;
    });
  }
  return rig;
}

/** What useUpsStub starts (read it inside a test). */
export interface UpsStub<Gw> extends UpsStubStarted {
  gw: Gw;
}

/** The carriers useUpsStub starts before the gateway. */
export interface UpsStubStarted {
  sim: UpsSimulatorHandle;
  stub: CarrierStub;
}

/**
 * For a file: a UPS simulator (UPS_CLIENT), a stand-in carrier answering with the handler, then the
 * gateway `start` makes from them; after the tests every test gateway closes, then the stub and the
 * simulator (closeTestGatewaysAnd).
 */
export function useUpsStub<Gw>(
  start: (started: UpsStubStarted) => Promise<Gw>,
  handler?: StubHandler,
): UpsStub<Gw> {
  const rig = {} as UpsStub<Gw>;
  beforeAll(async () => {
    rig.sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
    rig.stub = await startCarrierStub(handler);
    rig.gw = await start(rig);
  });
  afterAll(() => closeTestGatewaysAnd(rig.stub, rig.sim));
  return rig;
}

/** What useStubbedGateway starts (read it inside a test). */
export interface StubbedGateway {
  stub: CarrierStub;
  gw: TestGateway;
}

/**
 * For a file: a stand-in carrier (200 `{"ok":true}`) and a gateway whose one account, UPS
 * 'ups-main', takes its token and API there; both closed after the file's tests.
 */
export function useStubbedGateway(options: Omit<TestGatewayOptions, 'accounts'>): StubbedGateway {
  const rig = {} as StubbedGateway;
  beforeAll(async () => {
    rig.stub = await startCarrierStub();
    rig.gw = await startTestGateway({
      ...options,
      accounts: [upsAccount('ups-main', rig.stub, rig.stub.url)],
    });
  });
  afterAll(() => closeTestGatewaysAnd(rig.stub));
  return rig;
}

/** An embedded-mode gateway from YAML on an ephemeral loopback port (test/support/test-gateway.ts). */
export function startGateway(
  yaml: string,
  options: Partial<Omit<GatewayOptions, 'log'>> = {},
): Promise<RunningGateway> {
  return startTestGateway({ yaml, options, name: 'proxy-test' });
}

/** Registers the account's current access (and refresh) token with the log scan; returns them. */
export function observeTokens(gateway: Gateway, accountId: string): string[] {
  const token = gateway.engine.manager(accountId).peek();
  const values = [token?.accessToken, token?.refreshToken].filter((value): value is string => !!value);
  registerSecrets(...values);
  return values;
}

/** Everything a token-endpoint tap saw the carrier issue. */
export interface TokenTap {
  url: string;
  /** access_token values from every token response that passed through. */
  accessTokens: Set<string>;
  /** refresh_token values from every token response that passed through. */
  refreshTokens: Set<string>;
  /** Token requests forwarded. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A pass-through in front of a simulator's token endpoints that records every access and refresh
 * token the carrier issues, including ones the gateway later drops, so a test can look for all of
 * them in what clients received.
 */
export async function startTokenTap(targetOrigin: string): Promise<TokenTap> {
  const accessTokens = new Set<string>();
  const refreshTokens = new Set<string>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === 'host' || name === 'connection' || name === 'content-length')
          continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      undiciRequest(`${targetOrigin}${req.url ?? '/'}`, {
        method: 'POST',
        headers,
        body: Buffer.concat(chunks),
      })
        .then(async (upstream) => {
          const text = await upstream.body.text();
          try {
            const body = JSON.parse(text) as Record<string, unknown>;
            const { access_token: access, refresh_token: refresh } = body;
            if (typeof access === 'string' && access !== '') accessTokens.add(access);
            if (typeof refresh === 'string' && refresh !== '') refreshTokens.add(refresh);
          } catch {
            // Not JSON: nothing issued.
          }
          registerSecrets(...accessTokens, ...refreshTokens);
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(upstream.headers)) {
            if (value !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(name))
              out[name] = value;
          }
          res.writeHead(upstream.statusCode, out);
          res.end(text);
        })
        // The simulator is down: drop the connection, as the carrier itself would.
        .catch(() => res.destroy());
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, accessTokens, refreshTokens, requests: () => requests, close };
}

/** Client API keys used across these tests; long enough for the config schema. */
export const SHOP_KEY = 'shop-key-0123456789abc';
export const OTHER_KEY = 'other-key-0123456789abc';
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
