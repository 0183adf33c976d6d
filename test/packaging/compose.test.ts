/**
 * @module test/packaging/compose
 * docker-compose.yml and the configuration it mounts, checked without Docker (none runs here):
 * the file has Redis, the simulators and two gateway instances wired to one another; the mounted
 * configuration passes the gateway's own loader with the environment Compose gives it; and the
 * same set-up run as local processes (one redis-server, the simulators through src/cli/simulator.ts,
 * two gateway processes with config/compose.yaml, host names pointed at loopback) shares one
 * token between the instances and applies a manual failover made on one of them on the other.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../config/load.js';
import { projectRoot } from '../../src/platform/project-root.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { startSimulatorProcess, type SimulatorProcess } from '../support/sim-process.js';
import { interpolate, readCompose, type ComposeService } from './compose-file.js';

const COMPOSE_CONFIG = join(projectRoot(), 'config', 'compose.yaml');
const ENCRYPTION_KEY = 'a'.repeat(64);

/** The environment Compose gives the gateways, with the file's defaults. */
function gatewayEnvironment(): Record<string, string> {
  const compose = readCompose({ GATEWAY_ENCRYPTION_KEY: ENCRYPTION_KEY });
  return compose.services['gateway-a']!.environment!;
}

const hostPort = (service: ComposeService) => service.ports!.map((mapping) => mapping.split(':').at(-2));

describe('docker-compose.yml', () => {
  const compose = readCompose({ GATEWAY_ENCRYPTION_KEY: ENCRYPTION_KEY });
  const services = compose.services;

  it('has Redis, the simulators and two gateway instances', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway-a', 'gateway-b', 'redis', 'sim-fedex', 'sim-ups']);
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.redis!.healthcheck?.test).toContain('ping');
  });

  it('runs both gateways from the same image with the mounted configuration, after Redis is healthy', () => {
    const [a, b] = [services['gateway-a']!, services['gateway-b']!];
    for (const gateway of [a, b]) {
      expect(gateway.image).toBe(services['sim-ups']!.image);
      expect(gateway.volumes).toContain('./config/compose.yaml:/config/gateway.yaml:ro');
      expect(gateway.environment!.GATEWAY_CONFIG).toBe('/config/gateway.yaml');
      expect(gateway.environment!.GATEWAY_ENCRYPTION_KEY).toBe(ENCRYPTION_KEY);
      expect(gateway.depends_on!.redis!.condition).toBe('service_healthy');
    }
    expect(hostPort(a)).not.toEqual(hostPort(b));
  });

  it('refuses to start without an encryption key, naming the variable', () => {
    expect(() => readCompose({})).toThrow(/GATEWAY_ENCRYPTION_KEY/);
  });

  it('starts each simulator the configuration points at, on the port it names', () => {
    const config = readFileSync(COMPOSE_CONFIG, 'utf8');
    for (const [name, carrier] of [
      ['sim-ups', 'ups'],
      ['sim-fedex', 'fedex'],
    ] as const) {
      const command = services[name]!.command!;
      expect(command.slice(0, 2)).toEqual(['node', 'dist/src/sim/cli.js']);
      expect(command[command.indexOf('--carrier') + 1]).toBe(carrier);
      expect(command[command.indexOf('--host') + 1]).toBe('0.0.0.0');
      const port = command[command.indexOf('--port') + 1];
      expect(config).toContain(`http://${name}:${port}`);
      // The compiled path comes from this source file.
      expect(() => readFileSync(join(projectRoot(), 'src/cli/simulator.ts'))).not.toThrow();
    }
  });

  it('mounts a configuration that passes the gateway loader with the environment Compose gives it', () => {
    const env = gatewayEnvironment();
    const config = parseConfig(interpolate(readFileSync(COMPOSE_CONFIG, 'utf8'), env), 'compose.yaml');
    expect(config.redis?.url).toBe('redis://redis:6379');
    expect(config.accounts.map((account) => account.id)).toEqual(['ups-main', 'fedex-main']);
    expect(config.admins?.[0]?.apiKey).toBe(env.GATEWAY_ADMIN_KEY);
    expect(config.clients[0]!.apiKey).toBe(env.GATEWAY_CLIENT_KEY);
  });

  it('gives a stopping gateway longer than its shutdown timeout before SIGKILL', () => {
    const config = parseConfig(
      interpolate(readFileSync(COMPOSE_CONFIG, 'utf8'), gatewayEnvironment()),
      'compose.yaml',
    );
    for (const name of ['gateway-a', 'gateway-b']) {
      const period = /^(\d+)s$/.exec(services[name]!.stop_grace_period ?? '');
      expect(period, `${name} stop_grace_period`).not.toBeNull();
      expect(Number(period![1]) * 1000).toBeGreaterThan(config.shutdown.timeoutMs);
    }
  });
});

describe('the compose set-up as local processes', () => {
  let redis: TestRedis | undefined;
  const simulators: SimulatorProcess[] = [];
  const gateways: GatewayProcess[] = [];

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await Promise.all(simulators.map((simulator) => simulator.stop()));
    await redis?.kill();
  });

  it('shares one token between the two instances, and a failover made on one applies on the other', async () => {
    const env = gatewayEnvironment();
    registerSecrets(
      env.GATEWAY_ADMIN_KEY!,
      env.GATEWAY_CLIENT_KEY!,
      env.UPS_CLIENT_SECRET!,
      env.FEDEX_CLIENT_SECRET!,
    );
    redis = await TestRedis.start();
    const compose = readCompose({ GATEWAY_ENCRYPTION_KEY: ENCRYPTION_KEY });
    const simClients = (name: string) =>
      JSON.parse(compose.services[name]!.environment!.SIM_CLIENTS!) as {
        clientId: string;
        clientSecret: string;
      }[];
    const ups = await startSimulatorProcess('ups', simClients('sim-ups'));
    const fedex = await startSimulatorProcess('fedex', simClients('sim-fedex'));
    simulators.push(ups, fedex);

    // Compose's service names and ports, pointed at this machine's processes.
    const config = interpolate(readFileSync(COMPOSE_CONFIG, 'utf8'), env)
      .replace('redis://redis:6379', redis.url)
      .replaceAll('http://sim-ups:9100', ups.url)
      .replaceAll('http://sim-fedex:9200', fedex.url)
      .replace(/probes: .*\n/, '');
    const file = writeConfig(config);
    gateways.push(...(await Promise.all([startGatewayProcess(file), startGatewayProcess(file)])));
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];

    const track = (gateway: GatewayProcess) =>
      fetch(`${gateway.url}/v1/carriers/ups-main/api/track/v1/details/1Z12345E0205271688`, {
        headers: { authorization: `Bearer ${env.GATEWAY_CLIENT_KEY}` },
      });
    expect((await track(a)).status).toBe(200);
    expect((await track(b)).status).toBe(200);
    expect((await ups.stats()).tokensIssued).toBe(1);

    const failover = await fetch(`${a.url}/v1/admin/accounts/ups-main/failover`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.GATEWAY_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'fedex-main', reason: 'compose walk-through' }),
    });
    expect(failover.status).toBe(200);
    const deadline = Date.now() + 2_000;
    while (!b.log().some((line) => line.includes('override applied') && line.includes('fedex-main'))) {
      if (Date.now() > deadline) throw new Error('gateway-b did not apply the failover');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const shipment = await fetch(`${b.url}/v1/shipments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.GATEWAY_CLIENT_KEY}`,
        'idempotency-key': randomUUID(),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...SHIPMENT, accounts: ['ups-main', 'fedex-main'] }),
    });
    expect(shipment.status).toBe(201);
    expect(shipment.headers.get('x-carrier-account')).toBe('fedex-main');
  }, 60_000);
});
