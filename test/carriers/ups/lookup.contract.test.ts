/**
 * @module test/carriers/ups/lookup.contract.test
 *
 * Owns the proof that the UPS calls on a shipment that exists (carriers/ups/lookup.ts and
 * void.ts) are what the saved UPS specs accept, as they go on the wire (Bearer token and
 * transId/transactionSrc added the way the core adds them):
 * - Track by Reference, Tracking.yaml `Reference Tracking API`;
 * - Label Recovery, Shipping.yaml `LabelRecovery` (POST /labels/{version}/recovery);
 * - Void, Shipping.yaml `VoidShipment`.
 *
 * Label Recovery's schema contradicts its own descriptions in three places (see
 * upsLabelRecoveryBody): the spec's own "Label Recovery Request (Standard Example)" gets exactly
 * those complaints, and the gateway's request may get those and nothing else. Negative controls
 * break one thing each and must fail, so a pass means something.
 */
import { beforeAll, expect, it } from 'vitest';

import { decorateUpsRequest } from '../../../carriers/ups/api.js';
import { upsLabelRecovery, upsLookup } from '../../../carriers/ups/lookup.js';
import { upsVoid } from '../../../carriers/ups/void.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import type { CarrierCall, ShipmentAtCarrier } from '../../../src/core/shipping-adapter.js';
import { LOS_ANGELES, NEW_YORK, shipmentWith } from '../../support/addresses.js';
import { expectValid, withJsonBody, withoutHeaders } from '../../support/contract-checks.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractRequest,
  type ContractSpec,
} from '../../support/openapi-contract.js';

const TRACKING = '1Z12345E8791315509';
const shipment = shipmentWith({ shipper: NEW_YORK, recipient: LOS_ANGELES, parcels: [{ weightKg: 1 }] });

function target(request: ShipmentRequest): ShipmentAtCarrier<{ shipperNumber: string }> {
  return {
    settings: { shipperNumber: 'A1B2C3' },
    trackingNumbers: [TRACKING],
    shipment: request,
    carrierIdempotencyKey: '5f0b8f4e-0000-4000-8000-000000000001',
    shipmentId: 'shp_0b8f4e2a91c34d5e',
  };
}

/** The call as the core sends it: the Bearer token and UPS's per-request headers added. */
function onTheWire(call: CarrierCall): ContractRequest {
  const headers = { ...call.headers, authorization: 'Bearer ups-contract-token' };
  decorateUpsRequest({ method: call.method, path: `/${call.path}`, headers });
  return {
    method: call.method,
    url: `/${call.path}`,
    headers,
    ...(call.body !== undefined ? { body: call.body } : {}),
  };
}

/**
 * Shipping.yaml LabelRecoveryRequest: `required: [Request, TrackingNumbers, ReferenceValues]`,
 * though both are Roadie-only by their descriptions, and LabelImageFormat.Code `minLength: 4`
 * though every valid value has three letters.
 */
const SPEC_CONTRADICTIONS = [
  "body/LabelRecoveryRequest: must have required property 'TrackingNumbers'",
  "body/LabelRecoveryRequest: must have required property 'ReferenceValues'",
  'body/LabelRecoveryRequest/LabelSpecification/LabelImageFormat/Code: must NOT have fewer than 4 characters',
];

type RecoveryBody = { LabelRecoveryRequest: Record<string, unknown> };

describeContract('UPS lookup, label recovery and void calls against Tracking.yaml and Shipping.yaml', () => {
  let shipping: ContractSpec;
  let tracking: ContractSpec;
  beforeAll(async () => {
    [shipping, tracking] = await Promise.all([loadSpec('ups/Shipping.yaml'), loadSpec('ups/Tracking.yaml')]);
  }, 30_000);

  const recovery = (labelFormat: 'PDF' | 'ZPL') =>
    onTheWire(upsLabelRecovery.build(target(shipment({ labelFormat })), TRACKING));
  /** The errors beyond the spec's own contradictions. */
  const beyondSpec = (req: ContractRequest) =>
    validateRequest(shipping, req).errors.filter((error) => !SPEC_CONTRADICTIONS.includes(error));

  it("the spec's own Standard Example of LabelRecovery gets exactly the contradictions allowed below", () => {
    const operation = (shipping.document as { paths: Record<string, { post: unknown }> }).paths[
      '/labels/{version}/recovery'
    ]!.post as {
      requestBody: { content: { 'application/json': { examples: Record<string, { value: unknown }> } } };
    };
    const example = operation.requestBody.content['application/json'].examples['1']!.value;
    const result = validateRequest(shipping, {
      method: 'POST',
      url: '/api/labels/v1/recovery',
      headers: { authorization: 'Bearer ups-contract-token', 'content-type': 'application/json' },
      body: JSON.stringify(example),
    });
    expect(result.operationId).toBe('LabelRecovery');
    // The example's empty CustomerContext (minLength 5) is its own slip; the gateway sends its shipment id.
    expect(result.errors).toEqual([
      ...SPEC_CONTRADICTIONS.slice(0, 2),
      'body/LabelRecoveryRequest/Request/TransactionReference/CustomerContext: must NOT have fewer than 5 characters',
      SPEC_CONTRADICTIONS[2],
    ]);
  });

  it.each(['PDF', 'ZPL'] as const)(
    'Label Recovery for a %s label: a LabelRecovery request with no complaint beyond the spec contradictions',
    (labelFormat) => {
      const req = recovery(labelFormat);
      expect(req.url).toBe('/api/labels/v1/recovery');
      const result = validateRequest(shipping, req);
      expect(result.operationId).toBe('LabelRecovery');
      expect(beyondSpec(req)).toEqual([]);
      const body = JSON.parse(String(req.body)) as RecoveryBody;
      expect(body.LabelRecoveryRequest).toMatchObject({
        TrackingNumber: TRACKING,
        LabelSpecification: { LabelImageFormat: { Code: labelFormat === 'PDF' ? 'GIF' : 'ZPL' } },
      });
    },
  );

  it('negative controls (LabelRecovery): no Request, a 19-character TrackingNumber, no Bearer token, no /api prefix', () => {
    const req = recovery('PDF');
    expect(
      beyondSpec(
        withJsonBody<ContractRequest, RecoveryBody>(req, (b) => delete b.LabelRecoveryRequest['Request']),
      ),
    ).toEqual(["body/LabelRecoveryRequest: must have required property 'Request'"]);
    expect(
      beyondSpec(
        withJsonBody<ContractRequest, RecoveryBody>(
          req,
          (b) => (b.LabelRecoveryRequest['TrackingNumber'] = `${TRACKING}9`),
        ),
      ),
    ).toEqual(['body/LabelRecoveryRequest/TrackingNumber: must NOT have more than 18 characters']);
    expect(beyondSpec(withoutHeaders(req, 'authorization'))).toEqual([
      "security: no declared alternative is satisfied (OAuth2: expected 'authorization: Bearer <token>')",
    ]);
    expect(beyondSpec({ ...req, url: '/labels/v1/recovery' })[0]).toMatch(
      /^no operation in ups\/Shipping\.yaml matches POST \/labels\/v1\/recovery/,
    );
  });

  it('Track by Reference: a valid Reference Tracking API call, kept to the account by shipperNum', () => {
    const call = upsLookup.build!(target(shipment({ reference: 'order 1042/7' })))!;
    const req = onTheWire(call);
    expectValid(validateRequest(tracking, req), 'Reference Tracking API');
    expect(req.url).toBe('/api/track/v1/reference/details/order%201042%2F7?shipperNum=A1B2C3');
    // Negative control: Tracking.yaml requires transId and transactionSrc.
    expect(validateRequest(tracking, withoutHeaders(req, 'transid')).ok).toBe(false);
  });

  it('Void: a valid VoidShipment call by the shipment identification number', () => {
    const [call, ...more] = upsVoid.build(target(shipment()));
    expect(more).toEqual([]);
    const req = onTheWire(call!);
    expectValid(validateRequest(shipping, req), 'VoidShipment');
    expect(req.url).toBe(`/api/shipments/v2409/void/cancel/${TRACKING}`);
    // Negative control: no Bearer token.
    expect(validateRequest(shipping, withoutHeaders(req, 'authorization')).ok).toBe(false);
  });
});
