/**
 * @module sim/server
 * The simulator engine every carrier simulator runs on: a node:http server on loopback that applies
 * the shared faults (outages, latency, throttling, 5xx, 200-with-error, skewed Date), keeps the
 * counters, serves the `/__sim/*` control API, and hands everything else to a carrier definition.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { CONTROL_PREFIX, handleControl, type ControlTarget } from './control.js';
import { BodyTooLargeError, readBody, type SimRequest, type SimResponse } from './http.js';
import { ShipmentLedger } from './ledger.js';
import {
  TokenStore,
  type AccessCheck,
  type AccessRecord,
  type RefreshRedemption,
  type TokenFamily,
} from './tokens.js';
import {
  emptyStats,
  type SimClient,
  type SimFaults,
  type SimStats,
  type SimulatorHandle,
  type SimulatorOptions,
} from './types.js';

/** An API answer that never comes (shipment fault `hang_after_create`). */
const HANG = Symbol('hang');

/** Key used in `tokenRequestsByClient` when a token request named no client at all. */
export const NO_CLIENT = '(none)';

export type ClientCheck = 'ok' | 'unknown_client' | 'wrong_secret';

/** What a carrier definition may use while answering a request. */
export interface SimContext {
  readonly faults: SimFaults;
  readonly tokens: TokenStore;
  /** Base URL of the running server. */
  readonly url: string;
  /** Real-clock epoch ms (or the injected test clock). Expiry is judged on this clock. */
  now(): number;
  /** `now()` shifted by `faults.skewSeconds`: what the carrier's own clock would print. */
  carrierNow(): number;
  checkClient(clientId: string, clientSecret: string): ClientCheck;
  hasClient(clientId: string): boolean;
  /** The shipments this carrier made (void, lookup by reference, deduplicated resends). */
  readonly ledger: ShipmentLedger;
  /** Count labels the carrier created (`labelsCreated`); call it where the label is made. */
  recordLabels(count?: number): void;
  /** Register an access token the carrier minted; counts `tokensIssued`. */
  recordAccess(token: string, record: AccessRecord): void;
  /** Access token check with the current premature-expiry fault applied. */
  checkAccess(token: string): AccessCheck;
  newFamily(clientId: string, extra?: { subject?: string; scope?: string }): TokenFamily;
  /** Throws when the carrier has no refresh tokens. */
  mintRefresh(family: TokenFamily): string;
  /** Spend a refresh token; reuse is counted and revokes the family. */
  redeemRefresh(
    token: string,
    clientId: string,
    precondition?: (family: TokenFamily) => boolean,
  ): RefreshRedemption;
}

/** One carrier's wire behaviour. The engine applies faults first, then calls `handle`. */
export interface CarrierDefinition {
  /** Carrier defaults; `resetFaults` returns here. */
  readonly defaults: SimFaults;
  /** Lifetime of refresh tokens, or null when the carrier issues none. */
  readonly refreshTokenLifetimeSeconds: number | null;
  isTokenPath(path: string): boolean;
  isApiPath(path: string): boolean;
  /** The client id a token request presents (Basic user or form field), for per-client counters. */
  clientIdOf(req: SimRequest): string | undefined;
  throttled(req: SimRequest, retryAfterSeconds: number | undefined): SimResponse;
  serverError(req: SimRequest, status: 500 | 503): SimResponse;
  errorInSuccessBody(req: SimRequest): SimResponse;
  handle(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse>;
  /** Carriers with a label API: which request creates a label, and its error answers for `shipmentFault`. */
  readonly shipping?: ShippingDefinition;
  /** Carriers with rate or tracking APIs: which requests they are, for the read faults and latencies. */
  readonly reads?: { rates?: ReadDefinition; tracking?: ReadDefinition };
}

/** One read API (rates, tracking): which request it is, and the carrier's own error answers. */
export interface ReadDefinition {
  matches(req: SimRequest): boolean;
  /** A 5xx as the carrier's gateway or backend answers it. */
  serverError(req: SimRequest): SimResponse;
  /** 400 about the request data. */
  badRequest(req: SimRequest): SimResponse;
}

/** The carrier's label endpoint and its own error bodies, for the shipment faults. */
export interface ShippingDefinition {
  isShipmentRequest(req: SimRequest): boolean;
  /** 400 about the shipment data. */
  validationError(req: SimRequest): SimResponse;
  /** 403: the token is valid but lacks the scope or permission. */
  forbidden(req: SimRequest): SimResponse;
  /** A 5xx as the carrier's gateway or backend answers it. */
  serverError(req: SimRequest): SimResponse;
}

const NESTED_FAULTS = new Set(['throttle', 'shipmentFault', 'ratesFault', 'trackingFault']);

function cloneFaults(faults: SimFaults): SimFaults {
  return {
    ...faults,
    throttle: { ...faults.throttle },
    shipmentFault: { ...faults.shipmentFault },
    ratesFault: { ...faults.ratesFault },
    trackingFault: { ...faults.trackingFault },
  };
}

/** Copies `throttle` so the engine's countdown never mutates the caller's object. */
function mergeFaults(target: SimFaults, partial: Partial<SimFaults>): void {
  for (const [key, value] of Object.entries(partial)) {
    // An explicit `undefined` (e.g. from a spread) means "leave as is", never "unset".
    if (value === undefined) continue;
    const copy = NESTED_FAULTS.has(key) ? { ...(value as object) } : value;
    Object.assign(target, { [key]: copy });
  }
}

function send(res: ServerResponse, response: SimResponse): void {
  const isText = typeof response.body === 'string';
  const isBytes = Buffer.isBuffer(response.body);
  const payload: string | Buffer =
    response.body === undefined
      ? ''
      : isText || isBytes
        ? (response.body as string | Buffer)
        : JSON.stringify(response.body);
  const type = isBytes
    ? 'application/octet-stream'
    : isText
      ? 'text/plain; charset=utf-8'
      : 'application/json';
  const headers: Record<string, string> = {
    ...(response.body === undefined ? {} : { 'Content-Type': type }),
    ...response.headers,
    'Content-Length': String(Buffer.byteLength(payload)),
  };
  res.writeHead(response.status, headers);
  res.end(payload);
}

/**
 * Start a simulator for one carrier definition. Carrier modules wrap this in their own
 * `start<Carrier>Simulator`.
 */
export async function startSimulator(
  definition: CarrierDefinition,
  options: SimulatorOptions = {},
): Promise<SimulatorHandle> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? Date.now;
  const clients = new Map<string, string>();
  for (const client of options.clients ?? []) clients.set(client.clientId, client.clientSecret);
  const faults = cloneFaults(definition.defaults);
  mergeFaults(faults, options.faults ?? {});
  const stats: SimStats = emptyStats();
  const tokens = new TokenStore();
  const ledger = new ShipmentLedger();
  const restoreTimers = new Set<NodeJS.Timeout>();

  let port = options.port ?? 0;
  let listening = false;
  let closed = false;
  let transition: Promise<void> = Promise.resolve();
  const server: Server = createServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, { status: 500, body: { error: 'simulator failure', detail: String(error) } });
      else res.destroy();
    });
  });

  const context: SimContext = {
    faults,
    tokens,
    ledger,
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    now: clock,
    carrierNow: () => clock() + faults.skewSeconds * 1000,
    checkClient(clientId, clientSecret) {
      const secret = clients.get(clientId);
      if (secret === undefined) return 'unknown_client';
      return secret === clientSecret ? 'ok' : 'wrong_secret';
    },
    hasClient: (clientId) => clients.has(clientId),
    recordLabels(count = 1) {
      stats.labelsCreated += count;
    },
    recordAccess(token, record) {
      tokens.addAccess(token, record);
      stats.tokensIssued += 1;
    },
    checkAccess: (token) => tokens.checkAccess(token, clock(), faults.prematureExpirySeconds),
    newFamily: (clientId, extra) => tokens.createFamily(clientId, extra),
    mintRefresh(family) {
      if (definition.refreshTokenLifetimeSeconds === null)
        throw new Error('this carrier issues no refresh tokens');
      return tokens.mintRefresh(family, clock(), definition.refreshTokenLifetimeSeconds);
    },
    redeemRefresh(token, clientId, precondition) {
      const result = tokens.redeemRefresh(token, clientId, clock(), precondition);
      if (!result.ok && result.reason === 'reused') {
        stats.refreshTokenReuses += 1;
        if (result.familyNewlyRevoked) stats.familiesRevoked += 1;
      }
      return result;
    },
  };

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        port = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  }

  function stopListening(): Promise<void> {
    return new Promise((resolve) => {
      listening = false;
      server.close(() => resolve());
      // Idle keep-alive sockets would otherwise keep serving, and clients must see ECONNREFUSED.
      server.closeAllConnections();
    });
  }

  /** Serialised, so quick refuse/none toggles cannot interleave close and listen. */
  function applyOutage(): Promise<void> {
    const run = async () => {
      if (closed) return;
      const wantListening = faults.outage !== 'refuse';
      if (wantListening && !listening) await listen();
      else if (!wantListening && listening) await stopListening();
    };
    // A failed re-listen (port taken meanwhile) rejects this call only, not every later one.
    const next = transition.then(run, run);
    transition = next.catch(() => undefined);
    return next;
  }

  /** For callers nobody awaits (timers, post-response hooks): report instead of crashing the process. */
  function warnOnFailure(promise: Promise<void>): void {
    promise.catch((error: unknown) =>
      process.emitWarning(`simulator outage change failed: ${String(error)}`),
    );
  }

  function clearRestoreTimers(): void {
    for (const timer of restoreTimers) clearTimeout(timer);
    restoreTimers.clear();
  }

  const handle: SimulatorHandle = {
    get url() {
      return context.url;
    },
    get port() {
      return port;
    },
    faults,
    ledger,
    async setFaults(partial) {
      mergeFaults(faults, partial);
      await applyOutage();
    },
    async resetFaults() {
      clearRestoreTimers();
      Object.assign(faults, cloneFaults(definition.defaults));
      await applyOutage();
    },
    stats: () => structuredClone(stats),
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    addClient(client: SimClient) {
      clients.set(client.clientId, client.clientSecret);
    },
    rotateSecret(clientId, newSecret) {
      if (!clients.has(clientId)) throw new Error(`unknown client: ${clientId}`);
      clients.set(clientId, newSecret);
    },
    issueRefreshToken(clientId) {
      if (definition.refreshTokenLifetimeSeconds === null)
        throw new Error('this carrier issues no refresh tokens');
      if (!clients.has(clientId)) throw new Error(`unknown client: ${clientId}`);
      return context.mintRefresh(context.newFamily(clientId));
    },
    isAccessTokenValid: (token) => context.checkAccess(token).ok,
    issuedTokens: () => tokens.issuedValues(),
    async close() {
      clearRestoreTimers();
      await transition;
      closed = true;
      if (listening) await stopListening();
    },
  };

  const control: ControlTarget = {
    handle,
    supportsRefreshTokens: definition.refreshTokenLifetimeSeconds !== null,
    hasClient: (clientId) => clients.has(clientId),
    scheduleRestore(ms) {
      const timer = setTimeout(() => {
        restoreTimers.delete(timer);
        warnOnFailure(handle.setFaults({ outage: 'none' }));
      }, ms);
      restoreTimers.add(timer);
    },
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    res.setHeader('Date', new Date(context.carrierNow()).toUTCString());

    const isControl = url.pathname.startsWith(CONTROL_PREFIX);
    // 'refuse' lands here only in the moment before the listener is closed.
    if (!isControl && faults.outage !== 'none') {
      stats.connectionsReset += 1;
      req.socket.resetAndDestroy();
      return;
    }

    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return send(res, { status: 413, body: { error: error.message } });
      throw error;
    }
    const request: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };

    if (isControl) {
      const { response, after } = await handleControl(request, control);
      if (after) {
        // Close the listener only once this answer is out, or the caller would never hear back.
        response.headers = { ...response.headers, Connection: 'close' };
        res.once('finish', () => warnOnFailure(after()));
      }
      return send(res, response);
    }

    if (definition.isTokenPath(request.path)) return send(res, await answerToken(request));
    if (definition.isApiPath(request.path)) {
      const answer = await answerApi(request);
      if (answer === HANG) return hangUntilClosed(req, res);
      return send(res, answer);
    }
    return send(res, await definition.handle(request, context));
  }

  async function answerToken(request: SimRequest): Promise<SimResponse> {
    stats.tokenRequests += 1;
    const clientId = definition.clientIdOf(request) ?? NO_CLIENT;
    stats.tokenRequestsByClient[clientId] = (stats.tokenRequestsByClient[clientId] ?? 0) + 1;
    if (faults.tokenLatencyMs > 0) await sleep(faults.tokenLatencyMs);
    if (faults.throttle.count > 0) {
      faults.throttle.count -= 1;
      return definition.throttled(request, faults.throttle.retryAfterSeconds);
    }
    if (faults.tokenServerErrors > 0) {
      faults.tokenServerErrors -= 1;
      return definition.serverError(request, faults.tokenServerErrorStatus);
    }
    if (faults.errorInSuccessBody) return definition.errorInSuccessBody(request);
    return definition.handle(request, context);
  }

  async function answerApi(request: SimRequest): Promise<SimResponse | typeof HANG> {
    stats.apiRequests += 1;
    if (faults.apiLatencyMs > 0) await sleep(faults.apiLatencyMs);
    const shipping = definition.shipping;
    const fault = faults.shipmentFault;
    if (shipping && fault.kind !== 'none' && fault.count > 0 && shipping.isShipmentRequest(request)) {
      fault.count -= 1;
      if (fault.kind === 'validation_error') return shipping.validationError(request);
      if (fault.kind === 'forbidden') return shipping.forbidden(request);
      if (fault.kind === 'server_error') return shipping.serverError(request);
      const created = await definition.handle(request, context);
      // Only a label that was really made turns into the ambiguous answer.
      if (created.status < 200 || created.status > 299) return created;
      return fault.kind === 'hang_after_create' ? HANG : shipping.serverError(request);
    }
    const read = await readFault(request);
    if (read !== undefined) return read;
    const response = await definition.handle(request, context);
    if (response.status === 401) stats.apiRejections += 1;
    return response;
  }

  /** The rate and tracking APIs' own latency and faults; undefined: answer as usual. */
  async function readFault(request: SimRequest): Promise<SimResponse | typeof HANG | undefined> {
    const reads = definition.reads;
    const which = reads?.rates?.matches(request)
      ? { api: reads.rates, latencyMs: faults.ratesLatencyMs, fault: faults.ratesFault }
      : reads?.tracking?.matches(request)
        ? { api: reads.tracking, latencyMs: faults.trackingLatencyMs, fault: faults.trackingFault }
        : undefined;
    if (which === undefined) return undefined;
    if (which.latencyMs > 0) await sleep(which.latencyMs);
    const { fault } = which;
    if (fault.kind === 'none' || fault.count <= 0) return undefined;
    fault.count -= 1;
    if (fault.kind === 'hang') return HANG;
    return fault.kind === 'bad_request' ? which.api.badRequest(request) : which.api.serverError(request);
  }

  /** The label exists, but the caller never hears back: the socket stays open until the caller gives up. */
  function hangUntilClosed(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      res.once('close', resolve);
      req.socket.once('close', resolve);
    });
  }

  await listen();
  if (faults.outage === 'refuse') await applyOutage();
  return handle;
}
