/**
 * @module test/carriers/colissimo/gateway
 *
 * Owns the proof that a `colissimo` account (static `apiKey` header, carriers/colissimo) works
 * through a real embedded-mode gateway against the Colissimo simulator: a proxied generateLabel
 * succeeds with the account's apiKey in place of whatever the shop sent; a refused key comes back
 * as Colissimo's own 403, is not retried, and shows as `credentials_rejected` (403 is one of the
 * carrier's rejection statuses, carriers/colissimo/errors.ts); a 400 or 422 about the request is
 * passed through and is not a rejection.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  COLISSIMO_BASE,
  colissimoExampleLabelRequest,
  startColissimoSimulator,
} from '../../../carriers/colissimo/simulator.js';
import type { Gateway } from '../../../src/gateway.js';
import type { SimulatorHandle } from '../../../src/sim/index.js';
import { registerSecrets } from '../../support/log-capture.js';
import { callMultipart } from '../../support/sim-http.js';
import { closeTestGateways, startTestGateway } from '../../support/test-gateway.js';

const CLIENT_KEY = `colissimo-shop-key-${randomUUID()}`;
const CONTRACT = { clientId: '800123', clientSecret: `colissimo-api-key-${randomUUID()}` };
const WRONG_KEY = `colissimo-wrong-key-${randomUUID()}`;
const SECRETS = [CLIENT_KEY, CONTRACT.clientSecret, WRONG_KEY];
registerSecrets(...SECRETS);

const LABEL_REQUEST = JSON.stringify(colissimoExampleLabelRequest());

describe('colissimo adapter through the gateway', () => {
  let sim: SimulatorHandle;
  let gateway: Gateway;
  let base = '';

  beforeAll(async () => {
    sim = await startColissimoSimulator({ clients: [CONTRACT] });
    const account = (id: string, key: string) => ({
      id,
      carrier: 'colissimo',
      urls: { api: `${sim.url}${COLISSIMO_BASE}` },
      credentials: { clientId: CONTRACT.clientId, clientSecret: key },
    });
    const accounts = [
      account('colissimo', CONTRACT.clientSecret),
      account('colissimo-wrong', WRONG_KEY),
      account('colissimo-bad-body', CONTRACT.clientSecret),
    ];
    ({ gateway, url: base } = await startTestGateway({ name: 'colissimo', clientKey: CLIENT_KEY, accounts }));
  });
  afterAll(async () => {
    await closeTestGateways();
    await sim?.close();
  });

  async function post(
    account: string,
    operation: string,
    body = LABEL_REQUEST,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${base}/v1/carriers/${account}/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    for (const secret of SECRETS) expect(text.includes(secret), 'a secret in the answer').toBe(false);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  it("generateLabel through the proxy succeeds with the account's apiKey in place of the shop's own", async () => {
    const before = sim.stats().apiRequests;
    // The shop's own apiKey is wrong: the simulator would refuse it, or the two values joined.
    const reply = await callMultipart(`${base}/v1/carriers/colissimo/generateLabel`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${CLIENT_KEY}`,
        'content-type': 'application/json',
        apiKey: WRONG_KEY,
      },
      body: LABEL_REQUEST,
    });
    expect(reply.status).toBe(200);
    const wire = [...reply.parts.values()].map((part) => part.bytes.toString('latin1')).join('\n');
    for (const secret of SECRETS) expect(wire.includes(secret), 'a secret in the answer').toBe(false);
    expect(JSON.parse(reply.parts.get('jsonInfos')!.bytes.toString('utf8'))).toMatchObject({
      messages: [{ id: '0', type: 'INFOS' }],
      labelV2Response: { parcelNumber: expect.stringMatching(/^6A\d{11}$/) },
    });
    // The multipart answer passes through byte for byte: the binary label part is intact.
    const label = reply.parts.get('label')!.bytes;
    expect(label.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(label.some((byte) => byte > 0x7f)).toBe(true);
    expect(label.toString('latin1')).toMatch(/%%EOF\n$/);
    expect((await post('colissimo', 'checkGenerateLabel')).status).toBe(200);
    expect(sim.stats().apiRequests - before).toBe(2);
    expect(await gateway.engine.manager('colissimo').status()).toMatchObject({
      state: 'ok',
      store: 'static',
      credentialRejections: 0,
    });
  });

  it("a refused key: Colissimo's 403 passed through, not retried, and the account shows credentials_rejected", async () => {
    const before = sim.stats().apiRequests;
    const reply = await post('colissimo-wrong', 'generateLabel');
    expect(reply).toEqual({
      status: 403,
      body: {
        messages: [{ id: '30000', type: 'ERROR', messageContent: expect.any(String) }],
        labelXmlV2Reponse: null,
        labelV2Response: null,
      },
    });
    expect(sim.stats().apiRequests - before).toBe(1);
    const manager = gateway.engine.manager('colissimo-wrong');
    await manager.whenIdle();
    expect(await manager.status()).toMatchObject({ state: 'credentials_rejected', credentialRejections: 1 });
    expect((await gateway.engine.manager('colissimo').status()).state).toBe('ok');
  });

  it('a 400 or 422 about the request is passed through and is not a credential rejection', async () => {
    const functional = await post('colissimo-bad-body', 'generateLabel', JSON.stringify({ letter: {} }));
    expect(functional.status).toBe(400);
    expect(functional.body).toMatchObject({ messages: [{ type: 'ERROR' }] });
    expect((await post('colissimo-bad-body', 'generateLabel', '{"letter":')).status).toBe(422);
    expect(await gateway.engine.manager('colissimo-bad-body').status()).toMatchObject({
      state: 'ok',
      credentialRejections: 0,
    });
  });
});
