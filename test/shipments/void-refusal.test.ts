/**
 * @module test/shipments/void-refusal.test
 * A carrier's void refusal reaches the client as a stable `reason` code and a cut-down
 * `carrierReason` (src/shipments/void-refusal.ts), never as the carrier wrote it:
 * - the rules on hand-written messages: too-late wording per carrier, tokens, foreign tracking
 *   and account numbers, addresses removed, the shipment's own numbers kept, the length bounded;
 * - through a gateway: UPS (a stand-in in front of the UPS simulator) refuses the void with a
 *   message carrying a bearer-like token, another shipment's number and an internal URL; the 409
 *   says `too_late`, keeps the shipment's own tracking number, and none of the rest is in the
 *   answer or the logs.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { UPS_PATHS } from '../../carriers/ups/simulator.js';
import { REASON_MAX, refusalReason, sanitizedReason } from '../../src/shipments/void-refusal.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { startInterposer } from '../support/forwarding-tap.js';
import type { RecordingServer } from '../support/recording-server.js';
import { useSimsGateway } from '../support/shipping-accounts.js';

const SHOP_KEY = `void-refusal-${randomUUID()}`;
/** Token-like strings a carrier message might carry: a JWT, an opaque session, a long hex id. */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2b2lkLXRlc3QifQ.c2lnbmF0dXJlLXZhbHVlLXNlY3JldA';
const SESSION = `sess_${randomUUID().replaceAll('-', '')}`;
const FOREIGN_TRACKING = '1Z999AA10123456784';
registerSecrets(SHOP_KEY, JWT, SESSION);

describe('the rules', () => {
  const own = ['1ZA1B2C30312345678', 'shp_0b8f4e2a91c34d5e', 'order 1042/7'];

  it.each([
    ['UPS', 'The shipment has been picked up and cannot be voided'],
    ['FedEx', 'Shipment has already been tendered to FedEx'],
    ['DHL Parcel DE', 'Shipment already manifested; it cannot be deleted.'],
    ['USPS', 'A refund request for this order cannot be submitted'],
  ])('%s too-late wording is too_late', (_carrier, text) => {
    expect(refusalReason(text)).toBe('too_late');
  });

  it('any other refusal is refused', () => {
    expect(refusalReason('Invalid shipment identification number')).toBe('refused');
    expect(refusalReason('')).toBe('refused');
  });

  it('removes tokens, foreign numbers, accounts and addresses; keeps the shipment’s own ids', () => {
    const text =
      `Void of 1ZA1B2C30312345678 (order 1042/7) refused: token ${JWT} session ${SESSION}, ` +
      `account 740561073 also holds ${FOREIGN_TRACKING}; see https://int.carrier.example/void?key=abc ` +
      'or mail ops@carrier.example';
    const out = sanitizedReason(text, own);
    for (const secret of [
      JWT,
      SESSION,
      FOREIGN_TRACKING,
      '740561073',
      'int.carrier.example',
      'key=abc',
      'ops@',
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain('1ZA1B2C30312345678');
    expect(out).toContain('order 1042/7');
    expect(out.length).toBeLessThanOrEqual(REASON_MAX);
  });

  it('one line, at most REASON_MAX characters, cut on a word', () => {
    const long = `Shipment cannot be voided\n\tbecause ${'it was manifested already '.repeat(20)}`;
    const out = sanitizedReason(long, []);
    expect(out).not.toMatch(/[\n\t]/);
    expect(out.length).toBeLessThanOrEqual(REASON_MAX);
    expect(out.endsWith('…')).toBe(true);
    expect(sanitizedReason('Shipment already manifested; it cannot be deleted.', [])).toBe(
      'Shipment already manifested; it cannot be deleted.',
    );
  });
});

describe('through a gateway', () => {
  let front: RecordingServer;

  const rig = useSimsGateway('void-refusal', SHOP_KEY, async (sims, closeAfter) => {
    // UPS's API behind a stand-in: labels from the simulator, the void refused with a leaky message.
    front = closeAfter(
      await startInterposer(sims.ups.url, (req) => {
        const voided = /\/void\/cancel\/([^/?]+)/.exec(req.url);
        if (req.method !== 'DELETE' || !voided) return undefined;
        const message =
          `Shipment ${decodeURIComponent(voided[1]!)} has been picked up and cannot be voided ` +
          `[auth ${JWT} session ${SESSION} related ${FOREIGN_TRACKING} https://int.ups.example/v?t=1]`;
        // Shipping.yaml ErrorResponse.
        return { status: 400, body: { response: { errors: [{ code: '190117', message }] } } };
      }),
    );
    return {
      accounts: [
        sims.upsMain({
          urls: { token: `${sims.ups.url}${UPS_PATHS.token}`, api: front.url },
          timeouts: { apiMs: 2_000 },
        }),
      ],
    };
  });

  it('answers 409 too_late with the carrier code and a cut-down reason; no token or foreign id echoed', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { accounts: ['ups-main'] });
    expect(created.status, created.text).toBe(201);
    const id = created.body['id'] as string;
    const [tracking] = created.body['trackingNumbers'] as string[];

    const refused = await callGateway(rig.gateway, `/v1/shipments/${id}/void`, {
      method: 'POST',
      key: SHOP_KEY,
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: 'ERR_VOID_REFUSED',
      account: 'ups-main',
      carrierCode: '190117',
      reason: 'too_late',
    });
    const carrierReason = refused.body['carrierReason'] as string;
    expect(carrierReason).toContain(`Shipment ${tracking!} has been picked up and cannot be voided`);
    expect(carrierReason.length).toBeLessThanOrEqual(REASON_MAX);
    for (const leak of [JWT, SESSION, FOREIGN_TRACKING, 'int.ups.example'])
      expect(refused.text).not.toContain(leak);
    // The carrier really sent them: the stand-in answered the void with the leaky message.
    expect(front.requests.some((req) => req.method === 'DELETE')).toBe(true);

    const record = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(record.body['status']).toBe('created');
  });
});
