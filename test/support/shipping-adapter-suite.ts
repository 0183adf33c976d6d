/**
 * @module test/support/shipping-adapter-suite
 * The conformance suite every carrier's label adapter runs against that carrier's simulator on
 * loopback (no mocks): what `build` makes for each route, service and label format is accepted
 * and read back by `readSuccess`; the simulator counts exactly the labels made; each shipment
 * fault (`validation_error`, `forbidden`, `server_error_after_create`, `hang_after_create`)
 * arrives with its status and carrier code and leaves the number of labels it should; bodies
 * missing what the carrier requires are refused without a label; a call without valid
 * credentials is refused; and `supports` keeps out, with its reason, what the carrier cannot
 * carry. The table a carrier passes holds only its specifics: codes, statuses, formats and the
 * assertions on its own request shape. Carrier-specific cases stay in the carrier's folder.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { ShippingAdapter, ShippingCall } from '../../src/core/shipping-adapter.js';
import type { ShipmentRequest } from '../../src/core/shipment.js';
import type { SimulatorHandle } from '../../src/sim/index.js';

/** A started simulator, and how the core would put an adapter's call on the wire to it. */
export interface SimulatorUnderTest {
  sim: Pick<SimulatorHandle, 'setFaults' | 'resetFaults' | 'stats' | 'resetStats' | 'close'>;
  /** The account's API base: a call goes to `${base}/${call.path}`. */
  base: string;
  /** The headers the core sends: the call's own, the account's credentials, the carrier's request hook. */
  headers(call: ShippingCall): Record<string, string>;
}

export interface BuildInput<Settings> {
  settings?: Settings;
  shipmentId?: string;
  key?: string;
}

/** The ids a built call was made with, for assertions on headers and answers. */
export interface BuiltIds {
  shipmentId: string;
  key: string;
}

export interface Reply {
  status: number;
  body: string;
}

export interface LabelCase<Settings> {
  /** e.g. `domestic express, ZPL`. */
  name: string;
  /** Shipment fields over the carrier's default shipment. */
  shipment: Record<string, unknown>;
  settings?: Settings;
  /** The carrier's own request shape: headers, body, query. Method and path are checked by the suite. */
  call(call: ShippingCall, ids: BuiltIds): void;
  /** The expected path of the call, when it depends on the case. */
  path?: string;
  /** The success status of the label call. */
  status: number;
  /** Checks on the answer beyond the label (echoed ids, the simulator's request log). */
  answered?(reply: Reply, ids: BuiltIds): void;
  trackingNumbers(numbers: string[]): void;
  labels: { count: number; format: string; magic: string };
  /** Labels the simulator made for this one call. */
  labelsCreated: number;
}

export interface FaultExpectation {
  status: number;
  /** What `errorCode` reads from the answer. */
  code: string;
  /** Parts of the answer's JSON that must be there. */
  answer?: Record<string, unknown>;
}

export interface InvalidBody<Body> {
  what: string;
  /** Changes the parsed body of the plain call; a string replaces the body as sent. */
  change: ((body: Body) => void) | string;
  status: number;
  code?: string;
  /** Parts of the answer's JSON that must be there. */
  answer?: Record<string, unknown>;
  /** The whole answer's JSON. */
  answerEquals?: unknown;
}

export interface Refusal {
  shipment: Record<string, unknown>;
  reason: string | RegExp;
}

/** What a carrier's own cases against its simulator get from the suite. */
export interface AdapterContext<Settings> {
  /** The started simulator (read it inside a test). */
  sut(): SimulatorUnderTest;
  build(request: ShipmentRequest, input?: BuildInput<Settings>): { call: ShippingCall; ids: BuiltIds };
  /** The call on the wire with the account's headers (or these in their place). */
  send(
    call: ShippingCall,
    options?: { signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<Reply>;
}

/** `Body` is the carrier's request body as the invalid-body cases change it. */
export interface ShippingAdapterSpec<Settings, Body = Record<string, unknown>> {
  adapter: ShippingAdapter<Settings>;
  settings: Settings;
  /** The carrier's default shipment with these fields over it, parsed by the shipment schema. */
  shipment(fields?: Record<string, unknown>): ShipmentRequest;
  /** Default `shp_<uuid>`; carriers with short reference fields pass a shorter one. */
  shipmentId?(): string;
  start(): Promise<SimulatorUnderTest>;
  /** Before the simulator closes (e.g. register the tokens it issued with the log scan). */
  beforeClose?(sim: SimulatorUnderTest['sim']): void;
  /** The path every label call goes to (a case may name its own). */
  path?: string;
  labels: LabelCase<Settings>[];
  /** The shipment the fault, counting and invalid-body cases send (default: the default shipment). */
  plainShipment?: Record<string, unknown>;
  /** The success status of the plain shipment. */
  successStatus: number;
  faults: {
    validation_error: FaultExpectation;
    forbidden: FaultExpectation;
    server_error_after_create: FaultExpectation;
  };
  /**
   * The carrier deduplicates by its idempotency header: after a server error or a hang that made
   * the label, the same call again answers with that label and makes no second one.
   */
  replaysWithSameKey?: boolean;
  invalidBodies: InvalidBody<Body>[];
  /** A call sent with these headers in place of the account's credentials. */
  unauthenticated?: FaultExpectation & { what: string; headers(call: ShippingCall): Record<string, string> };
  services: ShippingAdapter['services'];
  /** The carrier's own cases against its simulator, registered with the suite's (same simulator, reset before each). */
  moreCases?(context: AdapterContext<Settings>): void;
  /** What `supports` refuses, and why, with what it must accept. */
  refusals?: {
    reasonOf(shipment: ShipmentRequest): string | undefined;
    cases: Refusal[];
    /** What `build` throws for a refused shipment: the reason itself, or this. */
    buildError: 'reason' | RegExp;
    supported: Record<string, unknown>[];
  };
}

const matches = (text: string | undefined, reason: string | RegExp) =>
  typeof reason === 'string' ? expect(text).toContain(reason) : expect(text).toMatch(reason);

export function describeShippingAdapter<Settings, Body>(
  carrier: string,
  spec: ShippingAdapterSpec<Settings, Body>,
): void {
  const newShipmentId = spec.shipmentId ?? (() => `shp_${randomUUID()}`);
  const build = (request: ShipmentRequest, input: BuildInput<Settings> = {}) => {
    const ids = { shipmentId: input.shipmentId ?? newShipmentId(), key: input.key ?? randomUUID() };
    const call = spec.adapter.build({
      shipment: request,
      settings: input.settings ?? spec.settings,
      carrierIdempotencyKey: ids.key,
      shipmentId: ids.shipmentId,
    });
    return { call, ids };
  };
  const plain = () => build(spec.shipment(spec.plainShipment)).call;

  describe(`${carrier} label adapter against the ${carrier} simulator`, () => {
    let sut: SimulatorUnderTest;

    beforeAll(async () => {
      sut = await spec.start();
    });
    afterAll(async () => {
      if (!sut) return;
      spec.beforeClose?.(sut.sim);
      await sut.sim.close();
    });
    beforeEach(async () => {
      await sut.sim.resetFaults();
      sut.sim.resetStats();
    });

    const labelsCreated = () => sut.sim.stats().labelsCreated;

    async function send(
      call: ShippingCall,
      options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
    ): Promise<Reply> {
      const response = await fetch(`${sut.base}/${call.path}`, {
        method: call.method,
        headers: options.headers ?? sut.headers(call),
        body: call.body,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // Decoded as the gateway decodes it for this adapter (a binary multipart part survives latin1 only).
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, body: bytes.toString(spec.adapter.answerEncoding ?? 'utf8') };
    }

    function expectAnswer(reply: Reply, expected: FaultExpectation): void {
      expect(reply.status, reply.body).toBe(expected.status);
      if (expected.answer) expect(JSON.parse(reply.body)).toMatchObject(expected.answer);
      expect(spec.adapter.errorCode(reply.status, reply.body)).toBe(expected.code);
    }

    it.each(spec.labels)('$name: read back with its tracking numbers and labels', async (label) => {
      const { call, ids } = build(
        spec.shipment(label.shipment),
        label.settings !== undefined ? { settings: label.settings } : {},
      );
      expect(call.method).toBe('POST');
      expect(call.path).toBe(label.path ?? spec.path);
      label.call(call, ids);

      const reply = await send(call);
      expect(reply.status, reply.body).toBe(label.status);
      label.answered?.(reply, ids);
      const answer = spec.adapter.readSuccess(reply.status, reply.body);
      if (answer.kind !== 'created') throw new Error(`expected a created shipment, got ${answer.kind}`);
      label.trackingNumbers(answer.trackingNumbers);
      expect(answer.labels).toHaveLength(label.labels.count);
      for (const made of answer.labels) {
        expect(made.format).toBe(label.labels.format);
        expect(Buffer.from(made.data, 'base64').toString('latin1').startsWith(label.labels.magic)).toBe(true);
      }
      expect(labelsCreated()).toBe(label.labelsCreated);
    });

    it('counts exactly the shipments made', async () => {
      for (let i = 0; i < 3; i++) expect((await send(plain())).status).toBe(spec.successStatus);
      expect(labelsCreated()).toBe(3);
    });

    it('validation_error: refused, nothing created, and only that one request', async () => {
      await sut.sim.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
      expectAnswer(await send(plain()), spec.faults.validation_error);
      expect(labelsCreated()).toBe(0);
      expect((await send(plain())).status).toBe(spec.successStatus);
    });

    it('forbidden: refused, nothing created', async () => {
      await sut.sim.setFaults({ shipmentFault: { kind: 'forbidden', count: 1 } });
      expectAnswer(await send(plain()), spec.faults.forbidden);
      expect(labelsCreated()).toBe(0);
    });

    it('server_error_after_create: an error answer, and the label exists', async () => {
      await sut.sim.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
      const call = plain();
      expectAnswer(await send(call), spec.faults.server_error_after_create);
      expect(labelsCreated()).toBe(1);
      if (spec.replaysWithSameKey) {
        const retry = await send(call);
        expect(retry.status).toBe(spec.successStatus);
        expect(spec.adapter.readSuccess(retry.status, retry.body).kind).toBe('created');
        expect(labelsCreated()).toBe(1);
      }
    });

    it('hang_after_create: no answer before the caller gives up, and the label exists', async () => {
      await sut.sim.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
      const call = plain();
      await expect(send(call, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      expect(labelsCreated()).toBe(1);
      if (spec.replaysWithSameKey) {
        expect((await send(call)).status).toBe(spec.successStatus);
        expect(labelsCreated()).toBe(1);
      }
    });

    it('a body without what the carrier requires is refused, and no label is made', async () => {
      const call = plain();
      for (const invalid of spec.invalidBodies) {
        let body = invalid.change as string;
        if (typeof invalid.change === 'function') {
          const parsed = JSON.parse(call.body) as Body;
          invalid.change(parsed);
          body = JSON.stringify(parsed);
        }
        const reply = await send({ ...call, body });
        expect(reply.status, invalid.what).toBe(invalid.status);
        if (invalid.answer) expect(JSON.parse(reply.body), invalid.what).toMatchObject(invalid.answer);
        if (invalid.answerEquals) expect(JSON.parse(reply.body), invalid.what).toEqual(invalid.answerEquals);
        if (invalid.code !== undefined) {
          expect(spec.adapter.errorCode(reply.status, reply.body), invalid.what).toBe(invalid.code);
        }
      }
      expect(labelsCreated()).toBe(0);
    });

    spec.moreCases?.({ sut: () => sut, build, send });

    const unauthenticated = spec.unauthenticated;
    if (unauthenticated) {
      it(`${unauthenticated.what}: refused, read as the carrier code, nothing created`, async () => {
        const call = plain();
        expectAnswer(await send(call, { headers: unauthenticated.headers(call) }), unauthenticated);
        expect(labelsCreated()).toBe(0);
      });
    }
  });

  describe(`${carrier} label adapter: the service table and what it refuses`, () => {
    it('has a service code per level and route', () => {
      expect(spec.adapter.services).toEqual(spec.services);
    });

    const refusals = spec.refusals;
    if (refusals) {
      it('refuses what the carrier cannot carry, before anything is sent, and says why', () => {
        for (const accepted of refusals.supported)
          expect(spec.adapter.supports!(spec.shipment(accepted))).toBe(true);
        for (const { shipment, reason } of refusals.cases) {
          const request = spec.shipment(shipment);
          expect(spec.adapter.supports!(request), JSON.stringify(shipment)).toBe(false);
          matches(refusals.reasonOf(request), reason);
          expect(() => build(request)).toThrow(
            refusals.buildError === 'reason' ? reason : refusals.buildError,
          );
        }
      });
    }
  });
}
