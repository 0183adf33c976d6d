/**
 * @module test/abuse/client-concurrency
 * Issue 12, point 3 (slow uploads): one client's slow chunked uploads to a carrier must not
 * stall that carrier for everyone. A client holds at most `passThrough.maxConcurrentCallsPerClient`
 * calls to one carrier origin (one more waits `passThrough.concurrencyWaitMs` for a slot, then
 * gets 429 ERR_CLIENT_CONCURRENCY with Retry-After), so the origin's pool keeps connections for
 * the others, while a burst of quick calls is queued rather than refused; and a body that sends nothing for
 * `passThrough.bodyIdleTimeoutMs` is cut with 408 ERR_REQUEST_TIMEOUT, the carrier call cancelled
 * and the client's slot given back. Real loopback servers throughout.
 */
import { describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { startTestGateway } from '../support/test-gateway.js';
import { OTHER_KEY, SHOP_KEY, bearer, rawRequest, upsAccount, useUpsStub } from '../proxy/helpers.js';
import { trickleUpload, type Trickle } from './raw-socket.js';

const CAP = 4;
const IDLE_MS = 1_000;
const WAIT_MS = 500;
const PATH = '/v1/carriers/ups-main/api/shipments/v2409/ship';
const head = (key: string) =>
  `POST ${PATH} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${key}\r\n` +
  'Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';

const rig = useUpsStub(({ sim, stub }) =>
  startTestGateway({
    name: 'client-concurrency',
    accounts: [upsAccount('ups-main', sim, stub.url)],
    clients: [
      { id: 'slow', apiKey: SHOP_KEY },
      { id: 'other', apiKey: OTHER_KEY },
    ],
    config: {
      passThrough: {
        maxConcurrentCallsPerClient: CAP,
        concurrencyWaitMs: WAIT_MS,
        bodyIdleTimeoutMs: IDLE_MS,
      },
    },
  }),
);

describe('one client cannot starve a carrier for the others', () => {
  it('100 slow uploads: the cap is answered 429, and another client is served promptly', async () => {
    // Each sends a byte every 200 ms, well inside the idle timeout: only the cap holds them back.
    const uploads: Trickle[] = Array.from({ length: 100 }, () =>
      trickleUpload(rig.gw.port, head(SHOP_KEY), 200),
    );
    try {
      // Until the refusals are in, or (without the cap) until the uploads hold the whole pool.
      const answered = async () =>
        (
          await Promise.all(uploads.map((upload) => Promise.race([upload.answer, Promise.resolve(null)])))
        ).filter((answer) => answer !== null);
      await eventually(async () => (await answered()).length >= 100 - CAP || rig.stub.connections() >= 64, {
        timeoutMs: 10_000,
        what: 'the uploads to be refused or to hold the pool',
      });

      const started = Date.now();
      const reply = await Promise.race([
        rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/track/v1/details/1Z', {
          headers: bearer(OTHER_KEY),
        }),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 3_000).unref()),
      ]);
      expect(reply, "the other client's call hung").not.toBeNull();
      expect(reply!.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);

      const refused = await answered();
      expect(refused.length).toBe(100 - CAP);
      for (const answer of refused) {
        expect(answer.status).toBe(429);
        expect(answer.headers['retry-after']).toBe('1');
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_CLIENT_CONCURRENCY' });
      }
    } finally {
      for (const upload of uploads) upload.stop();
    }
    // A client that gives up frees its slots: the same client is served again.
    await eventually(async () => {
      const again = await rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/track/v1/details/1Z', {
        headers: bearer(SHOP_KEY),
      });
      expect(again.status).toBe(200);
    });
  });

  it('a body that stalls is cut: 408, the carrier call cancelled, the slot given back', async () => {
    const before = rig.stub.requests.length;
    const started = Date.now();
    const stalled = trickleUpload(rig.gw.port, head(SHOP_KEY), 0);
    const answer = await stalled.answer;
    stalled.stop();
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers['connection']).toBe('close');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(Date.now() - started).toBeLessThan(IDLE_MS + 3_000);
    // The carrier never received a complete request: the upload was aborted, not finished.
    expect(rig.stub.requests.length).toBe(before);

    // CAP stalled uploads at once, then CAP more: each cut frees its slot.
    for (let round = 0; round < 2; round += 1) {
      const batch = Array.from({ length: CAP }, () => trickleUpload(rig.gw.port, head(SHOP_KEY), 0));
      const answers = await Promise.all(batch.map((upload) => upload.answer));
      for (const upload of batch) upload.stop();
      expect(answers.map((a) => a.status)).toEqual(Array(CAP).fill(408));
    }
  });

  it('a burst of quick calls over the cap waits for slots instead of being refused', async () => {
    const replies = await Promise.all(
      Array.from({ length: CAP * 3 }, () =>
        rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/track/v1/details/1Z', {
          headers: bearer(SHOP_KEY),
        }),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(CAP * 3).fill(200));
  });
});
