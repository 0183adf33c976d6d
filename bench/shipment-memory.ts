/**
 * @module bench/shipment-memory
 * Redis memory for shipment records (issue 15, docs/benchmarks.md "Shipment records in Redis"):
 * writes `BENCH_SHIPMENTS` (default 1,000,000) records through the gateway's own store
 * (src/shipments/shipment-store.ts, the same Lua script and keys as production) into a throwaway
 * redis-server, and reports `used_memory` before and after, per record and in total. Each record is
 * a created shipment as `POST /v1/shipments` keeps it: two attempts, one UPS tracking number, a
 * 20-character reference (each its own index set), no labels. Labels are measured apart on
 * `BENCH_LABEL_SAMPLE` records with a label of `BENCH_LABEL_BYTES` (default 40,000 base64
 * characters, a 4x6 PDF label), since they are kept only `labelRetentionDays`.
 *
 *   npx tsx bench/shipment-memory.ts
 */
import { Redis } from 'ioredis';

import { RedisConnection } from '../src/platform/redis.js';
import { createLogger } from '../src/platform/log.js';
import { RedisShipmentStore, type ShipmentRecord } from '../src/shipments/shipment-store.js';
import { startRedis, stopAll } from './processes.js';

const COUNT = Number(process.env['BENCH_SHIPMENTS'] ?? 1_000_000);
const LABEL_SAMPLE = Number(process.env['BENCH_LABEL_SAMPLE'] ?? 10_000);
const LABEL_BYTES = Number(process.env['BENCH_LABEL_BYTES'] ?? 40_000);
const IN_FLIGHT = 256;

function record(index: number): Omit<ShipmentRecord, 'version'> {
  const now = new Date();
  const id = `shp_${index.toString(16).padStart(32, '0')}`;
  return {
    id,
    client: 'shop-eu-1',
    idempotencyKey: index.toString(16).padStart(64, 'a'),
    carrierKey: `0f0e0d0c-0b0a-4908-8706-${index.toString(16).padStart(12, '0')}`,
    status: 'created',
    account: 'ups-main',
    carrier: 'ups',
    reference: `order-${index.toString().padStart(14, '0')}`,
    trackingNumbers: [`1ZA1B2C301${index.toString().padStart(8, '0')}`],
    attempts: [
      { account: 'fedex-main', outcome: 'breaker_open', failure: { code: 'fresh_token_rejected' } },
      { account: 'ups-main', outcome: 'created' },
    ],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    labelsUntil: now.getTime() + 7 * 24 * 3600 * 1000,
  };
}

async function fill(store: RedisShipmentStore, from: number, to: number, label?: string): Promise<void> {
  let next = from;
  const worker = async () => {
    for (let index = next++; index < to; index = next++) {
      await store.save(record(index), label !== undefined ? [{ format: 'PDF', data: label }] : undefined);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function usedMemory(url: string): Promise<number> {
  const client = new Redis(url);
  const info = await client.info('memory');
  client.disconnect();
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const connection = new RedisConnection(
    { url: redis.url, keyPrefix: 'cg:' },
    createLogger({ level: 'warn' }),
  );
  await connection.connect();
  const store = new RedisShipmentStore(connection);
  try {
    const before = await usedMemory(redis.url);
    const started = performance.now();
    await fill(store, 0, COUNT);
    const seconds = (performance.now() - started) / 1000;
    const after = await usedMemory(redis.url);
    const perRecord = (after - before) / COUNT;

    await fill(store, COUNT, COUNT + LABEL_SAMPLE, 'A'.repeat(LABEL_BYTES));
    const withLabels = await usedMemory(redis.url);
    const perLabelled = (withLabels - after) / LABEL_SAMPLE;

    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const server = (await new Redis(redis.url).info('server')).match(/redis_version:(\S+)/)?.[1];
    process.stdout.write(
      [
        `redis-server ${server}, ${COUNT} shipment records written through RedisShipmentStore.save in ${seconds.toFixed(0)} s`,
        `used_memory: ${mib(before)} MiB before, ${mib(after)} MiB after: ${mib(after - before)} MiB, ${perRecord.toFixed(0)} bytes per record (record, reference index, in-doubt bookkeeping)`,
        `with a ${LABEL_BYTES}-character label: ${perLabelled.toFixed(0)} bytes per shipment (${LABEL_SAMPLE} sampled)`,
        '',
      ].join('\n'),
    );
  } finally {
    await connection.close();
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
