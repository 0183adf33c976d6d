/**
 * @module test/proxy/streaming
 * Bodies cross the proxy as streams, in both directions: a multi-megabyte upload reaches the
 * carrier byte for byte (compared by SHA-256, with and without Content-Length), and a large
 * answer comes back intact. The download test also proves the answer is streamed, not
 * buffered: the carrier sends the second half only after the client has received the first.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';

import { describe, expect, it } from 'vitest';

import { SHOP_KEY, bearer, sha256, upsAccount, useProxyRig } from './helpers.js';

const MB = 1024 * 1024;
const UPLOAD = randomBytes(6 * MB);
const HALF = randomBytes(4 * MB);
const SECOND_HALF = randomBytes(4 * MB);

describe('proxy streaming', () => {
  /** Resolved by the test once the client holds the first half of the download. */
  let firstHalfReceived: () => void = () => {};

  const rig = useProxyRig({
    stubs: {
      carrier: async (recorded, res) => {
        if (recorded.url.endsWith('/download')) {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': String(HALF.length + SECOND_HALF.length),
          });
          res.write(HALF);
          const received = new Promise<void>((resolve) => {
            firstHalfReceived = resolve;
          });
          // A buffering proxy would never hand the first half over: give up rather than hang.
          const gaveUp = new Promise<'timeout'>((resolve) =>
            setTimeout(() => resolve('timeout'), 5_000).unref(),
          );
          if ((await Promise.race([received, gaveUp])) === 'timeout') {
            res.destroy();
            return;
          }
          res.end(SECOND_HALF);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes: recorded.body.length, sha256: recorded.sha256 }));
      },
    },
    accounts: ({ ups, stubs }) => [upsAccount('ups-main', ups, `${stubs.carrier.url}/base`)],
    clearStubs: true,
  });

  it('delivers a 6 MB upload with Content-Length intact', async () => {
    const response = await fetch(`${rig.gw.url}/v1/carriers/ups-main/api/documents/upload`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/octet-stream' },
      body: UPLOAD,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bytes: UPLOAD.length, sha256: sha256(UPLOAD) });
    expect(rig.stubs.carrier.requests).toHaveLength(1);
    expect(rig.stubs.carrier.requests[0]!.headers['content-length']).toBe(String(UPLOAD.length));
  });

  it('delivers a chunked 6 MB upload (no Content-Length) intact', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: rig.gw.port,
          method: 'POST',
          path: '/v1/carriers/ups-main/api/documents/upload',
          headers: { ...bearer(SHOP_KEY), 'content-type': 'application/octet-stream' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      // Several writes without a length: node sends Transfer-Encoding: chunked.
      for (let offset = 0; offset < UPLOAD.length; offset += MB)
        req.write(UPLOAD.subarray(offset, offset + MB));
      req.end();
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ bytes: UPLOAD.length, sha256: sha256(UPLOAD) });
    expect(rig.stubs.carrier.requests[0]!.headers['content-length']).toBeUndefined();
  });

  it('streams an 8 MB answer back intact, forwarding the first half before the carrier sends the rest', async () => {
    const response = await fetch(`${rig.gw.url}/v1/carriers/ups-main/api/labels/download`, {
      headers: bearer(SHOP_KEY),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(HALF.length + SECOND_HALF.length));
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    let signalled = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (!signalled && received >= HALF.length) {
        signalled = true;
        firstHalfReceived();
      }
    }
    expect(signalled).toBe(true);
    const body = Buffer.concat(chunks);
    expect(body.length).toBe(HALF.length + SECOND_HALF.length);
    expect(sha256(body)).toBe(sha256(Buffer.concat([HALF, SECOND_HALF])));
  });
});
