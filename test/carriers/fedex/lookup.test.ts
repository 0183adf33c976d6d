/**
 * @module test/carriers/fedex/lookup.test
 * Owns the fact behind "FedEx in-doubt labels go to an operator": the saved FedEx specs offer no
 * lookup by reference and no listing of shipments (docs/carriers/fedex.md), so the adapter has no
 * `lookup`. When either spec file gains an operation (FedEx's Track by References, say), this
 * fails, so the lookup gets wired instead of the docs going stale.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { fedex } from '../../../carriers/fedex/index.js';
import { describeContract, specsDir } from '../../support/openapi-contract.js';

async function operations(file: string): Promise<string[]> {
  const document = JSON.parse(await readFile(join(specsDir()!, file), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId ?? ''}`),
  );
}

describeContract('FedEx in-doubt lookup: none in the saved specs', () => {
  it('Track API: by tracking number only; Ship API: no listing, async results only by jobId', async () => {
    expect(await operations('fedex/TrackingNumbers-Resource.json')).toEqual([
      'POST /track/v1/trackingnumbers Track by Tracking Number',
    ]);
    expect(await operations('fedex/Shipment-Resource.json')).toEqual([
      'POST /ship/v1/shipments Create Shipment',
      'PUT /ship/v1/shipments/cancel Cancel Shipment',
      'POST /ship/v1/shipments/results Get Confirmed Shipment Async Results',
      'POST /ship/v1/shipments/packages/validate ShipmentPackageValidate',
    ]);
  });

  it('so the FedEx adapter has no lookup, and an in-doubt FedEx label goes to an operator', () => {
    expect(fedex.shipping?.lookup).toBeUndefined();
    expect(fedex.shipping?.void).toMatchObject({ offered: true });
  });
});
