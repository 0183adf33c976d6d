/**
 * @module test/support/in-process-app
 * The gateway's hono app (src/http/app.ts) for in-process requests with `app.request`, hono's
 * way of testing routes without a port. It is built from the parts of a test gateway
 * (test/support/test-gateway.ts, started with `listen: false`): its token engine, breakers,
 * overrides, health and Redis, with client and admin registries and admin actions made from its
 * configuration. The gateway does not expose its own app, so this is a second app over the same
 * parts.
 *
 * The shipment service is a stand-in that counts the requests reaching it: route tests are about
 * what is refused before any shipment is claimed or sent, so a refused request must leave the
 * count at zero. Shipments themselves are tested against simulators (test/shipments/).
 */
import type { Hono } from 'hono';

import { AdminActions } from '../../src/admin/admin-actions.js';
import { MemoryAuditLog } from '../../src/admin/audit-log.js';
import { tokenOperations } from '../../src/admin/token-operations.js';
import { AdminRegistry } from '../../src/http/admins.js';
import { createApp } from '../../src/http/app.js';
import { ClientRegistry } from '../../src/http/clients.js';
import type { AppEnv } from '../../src/http/env.js';
import type { ShipmentService } from '../../src/shipments/shipment-service.js';
import { testLogger } from './log-capture.js';
import type { TestGateway } from './test-gateway.js';

export interface InProcessApp {
  app: Hono<AppEnv>;
  audit: MemoryAuditLog;
  /** Shipment requests that got past the route's checks to the shipment service. */
  shipmentsReceived(): number;
}

/** A stand-in answer for a shipment that got through: the route tests only count them. */
const ACCEPTED = { status: 201, headers: { 'content-type': 'application/json' }, body: '{"stand-in":true}' };

export function inProcessApp(test: TestGateway): InProcessApp {
  const { gateway, config } = test;
  const log = testLogger('in-process-app');
  const audit = new MemoryAuditLog();
  let received = 0;
  const shipments = {
    create: async () => {
      received += 1;
      return { ...ACCEPTED, replayed: false };
    },
  } as unknown as ShipmentService;
  const app = createApp({
    engine: gateway.engine,
    clients: new ClientRegistry(config.clients),
    admins: new AdminRegistry(config.admins ?? []),
    actions: new AdminActions({
      accounts: gateway.accounts,
      overrides: gateway.overrides,
      tokens: tokenOperations(gateway.engine),
      probe: (account) => gateway.prober.runOnce(account),
      audit,
      log,
    }),
    shipments,
    breakers: gateway.breakers,
    overrides: gateway.overrides,
    health: gateway.health,
    readiness: () => gateway.readiness(),
    log,
    ...(gateway.redis ? { redis: gateway.redis } : {}),
  });
  return { app, audit, shipmentsReceived: () => received };
}
