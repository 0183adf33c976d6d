/**
 * @module test/support/shipping-contract
 * The contract test every carrier's label adapter runs: the calls `build` makes for several
 * shipments, put on the wire the way the core sends them (credentials and carrier headers added),
 * must be valid requests of the carrier's label operation in its published OpenAPI document; and
 * negative controls, each the same request broken one way a faulty adapter would break it, must
 * fail with the complaint named, so a pass means something. Skipped with a notice where the
 * specs are absent, as every contract test is (test/support/openapi-contract.ts).
 */
import { randomUUID } from 'node:crypto';

import { beforeAll, expect, it } from 'vitest';

import type { ShipmentRequest } from '../../src/core/shipment.js';
import type { ShippingAdapter, ShippingCall } from '../../src/core/shipping-adapter.js';
import { expectValid, withJsonBody } from './contract-checks.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractOptions,
  type ContractRequest,
  type ContractResult,
  type ContractSpec,
} from './openapi-contract.js';

export interface ValidShipment {
  name: string;
  call(): ShippingCall;
}

/**
 * The valid cases of a carrier whose adapter has prose rules the spec cannot express (`check`):
 * each named shipment must pass them, then is built with a fresh key and shipment id.
 */
export function checkedBuilds<Settings>(
  adapter: ShippingAdapter<Settings>,
  settings: Settings,
  shipments: Record<string, ShipmentRequest>,
): ValidShipment[] {
  return Object.entries(shipments).map(([name, request]) => ({
    name,
    call: () => {
      expect(adapter.check!(request)).toBeUndefined();
      return adapter.build({
        shipment: request,
        settings,
        carrierIdempotencyKey: randomUUID(),
        shipmentId: `shp_${randomUUID()}`,
      });
    },
  }));
}

/** One broken request and the complaint it must get. */
export interface NegativeControl<Body> {
  /** Edits the JSON body of the request. */
  body?: (body: Body) => void;
  /** Or changes the request itself (headers, URL). */
  request?: (req: ContractRequest) => ContractRequest;
  /** Validated with these options instead of the suite's. */
  options?: ContractOptions;
  /** Exactly these errors. */
  errors?: unknown[];
  /** Invalid, with this among the errors' text. */
  mentions?: string | RegExp;
  /** Invalid, with exactly this among the errors. */
  includes?: string;
  /** Invalid, with one error that matches. */
  only?: RegExp;
  /** Invalid, the first error matching. */
  first?: RegExp;
}

export interface ShippingContractSpec<Body> {
  title: string;
  specFile: string;
  operationId: string;
  options?: ContractOptions;
  /** The adapter's call as the core sends it. */
  onTheWire(call: ShippingCall): ContractRequest;
  valid: ValidShipment[];
  /** More checks on each valid call (its URL, headers the adapter must leave to the core). */
  check?(call: ShippingCall, req: ContractRequest, validate: (req: ContractRequest) => ContractResult): void;
  /** Groups of negative controls, each on the wire request of one valid shipment. */
  negatives: { name: string; from: string; controls: NegativeControl<Body>[] }[];
}

export function describeShippingContract<Body = Record<string, unknown>>(
  spec: ShippingContractSpec<Body>,
): void {
  describeContract(spec.title, () => {
    let document: ContractSpec;
    const validate = (req: ContractRequest, options = spec.options) =>
      validateRequest(document, req, options);
    beforeAll(async () => {
      document = await loadSpec(spec.specFile);
    }, 30_000);

    it.each(spec.valid)(`$name: a valid ${spec.operationId} request`, (shipment) => {
      const call = shipment.call();
      const req = spec.onTheWire(call);
      expectValid(validate(req), spec.operationId);
      spec.check?.(call, req, (other) => validate(other));
    });

    for (const group of spec.negatives) {
      it(`negative control: ${group.name}`, () => {
        const from = spec.valid.find((shipment) => shipment.name === group.from);
        if (!from) throw new Error(`no valid shipment named ${group.from}`);
        const wire = spec.onTheWire(from.call());
        for (const control of group.controls) {
          if (!['errors', 'includes', 'mentions', 'only', 'first'].some((key) => key in control)) {
            throw new Error(`a negative control of "${group.name}" must say what it expects`);
          }
          let req = control.request ? control.request(wire) : wire;
          if (control.body) req = withJsonBody(req, control.body);
          const result = validate(req, 'options' in control ? control.options : spec.options);
          if (control.errors) expect(result.errors).toEqual(control.errors);
          if (control.includes !== undefined) expect(result.errors).toContain(control.includes);
          if (control.mentions !== undefined) {
            expect(result.ok).toBe(false);
            const text = result.errors.join('\n');
            if (typeof control.mentions === 'string') expect(text).toContain(control.mentions);
            else expect(text).toMatch(control.mentions);
          }
          if (control.first) expect(result.errors[0]).toMatch(control.first);
          if (control.only) {
            expect(result.errors).toHaveLength(1);
            expect(result.errors[0]).toMatch(control.only);
          }
        }
      });
    }
  });
}

/**
 * The adapter's call as it goes on the wire at the API's root, with the headers the gateway adds
 * (made again for each call when given as a function).
 */
export function sentWith(
  added: Record<string, string> | (() => Record<string, string>),
): (call: ShippingCall) => ContractRequest {
  return (call) => ({
    method: call.method,
    url: `/${call.path}`,
    headers: { ...call.headers, ...(typeof added === 'function' ? added() : added) },
    body: call.body,
  });
}
