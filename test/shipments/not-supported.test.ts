/**
 * @module test/shipments/not-supported
 * Issue 12, point 4: when no account of the client can carry a shipment at all (every attempt
 * `not_supported`), the shipment is the problem: 422 ERR_SHIPMENT_NOT_SUPPORTED naming each
 * account's reason, not a 503 that invites a retry. Nothing is sent to any carrier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postShipment } from '../support/gateway-client.js';
import { startRecordingServer } from '../support/recording-server.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { upsAccount } from '../proxy/helpers.js';

const CLIENT_KEY = 'not-supported-client-key-0123';

let gw: TestGateway;
let carrier: Awaited<ReturnType<typeof startRecordingServer>>;

beforeAll(async () => {
  carrier = await startRecordingServer();
  gw = await startTestGateway({
    name: 'not-supported',
    clientKey: CLIENT_KEY,
    accounts: [
      // No shipping settings: this account cannot make labels at all.
      upsAccount('ups-no-shipping', carrier, carrier.url),
      // Colissimo ships from France only (carriers/colissimo/shipping.ts): a US shipment is refused.
      {
        id: 'colissimo-fr',
        carrier: 'colissimo',
        urls: { api: carrier.url },
        credentials: { clientId: '800123', clientSecret: 'colissimo-key-0123456789' },
        shipping: {},
      },
    ],
  });
});

afterAll(() => closeTestGatewaysAnd(carrier));

describe('a shipment no account can take', () => {
  it('is a 422 with each account’s reason, and nothing reaches a carrier', async () => {
    const answer = await postShipment(gw, CLIENT_KEY);
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body['code']).toBe('ERR_SHIPMENT_NOT_SUPPORTED');
    const attempts = answer.body['attempts'] as {
      account: string;
      outcome: string;
      failure: { code: string; reason: string };
    }[];
    expect(attempts.map((attempt) => [attempt.account, attempt.outcome, attempt.failure.code])).toEqual([
      ['ups-no-shipping', 'not_supported', 'shipping_not_configured'],
      ['colissimo-fr', 'not_supported', 'shipment_not_supported'],
    ]);
    for (const attempt of attempts) expect(attempt.failure.reason.length).toBeGreaterThan(0);
    expect(answer.body['detail']).toContain('colissimo-fr:');
    expect(carrier.requests.length).toBe(0);
  });

  it('frees the Idempotency-Key: the same key with a shipment that still fits nowhere answers the same', async () => {
    const key = 'not-supported-key-1';
    expect((await postShipment(gw, CLIENT_KEY, { idempotencyKey: key })).status).toBe(422);
    expect((await postShipment(gw, CLIENT_KEY, { idempotencyKey: key })).status).toBe(422);
  });
});
