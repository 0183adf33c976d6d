/**
 * @module test/packaging/kubernetes
 * The manifests in deploy/kubernetes/ checked against the code, without a cluster (none runs
 * here):
 * - the Deployment's environment fills every `${VAR}` of the ConfigMap's configuration (which the
 *   gateway's own parser accepts), every variable it sets is one the code or that file reads, and
 *   every Secret key it names is in secret.example.yaml;
 * - GATEWAY_CONFIG names the file the ConfigMap mounts;
 * - the container port is where the gateway listens: the configuration's port after the `PORT`
 *   that the image (Dockerfile `ENV`) or the Deployment sets, on all interfaces; the Service and the
 *   probes reach it by name;
 * - the probe paths are routes a gateway built from that configuration (on a real Redis) serves:
 *   startup and liveness answer 200 while it drains, readiness 503;
 * - the stop is coherent: the readiness probe notices a drain within `shutdown.graceMs`, and
 *   terminationGracePeriodSeconds is longer than the preStop sleep plus `shutdown.timeoutMs`;
 * - the Deployment, Service and PodDisruptionBudget select the same pods, as the image's user.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { parseConfig, selectConfig } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { TokenSealer } from '../../src/auth/crypto.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { projectRoot } from '../../src/platform/project-root.js';
import { registerSecrets, testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const root = projectRoot();
const folder = join(root, 'deploy', 'kubernetes');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped YAML: the assertions check the shape
type Manifest = Record<string, any>;

const manifests: Manifest[] = readdirSync(folder)
  .filter((name) => name.endsWith('.yaml'))
  .flatMap((name) =>
    parseAllDocuments(readFileSync(join(folder, name), 'utf8')).map((document) => {
      expect(document.errors, name).toEqual([]);
      return { ...(document.toJSON() as Manifest), file: name };
    }),
  );
const only = (kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(
    found.map((manifest) => manifest.file),
    kind,
  ).toHaveLength(1);
  return found[0]!;
};

const deployment = only('Deployment');
const service = only('Service');
const budget = only('PodDisruptionBudget');
const configMap = only('ConfigMap');
const secret = only('Secret');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
const envEntries: EnvEntry[] = container.env;

/** `ENV NAME=value ...` of the Dockerfile's last stage: what the container starts with. */
function imageEnvironment(): Record<string, string> {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ').split('\n');
  const runtime = lines.slice(lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true));
  const env: Record<string, string> = {};
  for (const line of runtime.filter((candidate) => /^ENV\s/.test(candidate))) {
    for (const match of line.matchAll(/(\w+)=(\S+)/g)) env[match[1]!] = match[2]!;
  }
  return env;
}

/** Every environment variable the code reads by name. */
function variablesReadByTheCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
      }
    }
  };
  for (const dir of ['src', 'config', 'carriers']) walk(join(root, dir));
  return names;
}

/** The pod's environment: the image's, then the Deployment's, secrets filled with stand-ins. */
const standIns: Record<string, string> = {};
function podEnvironment(redisUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...imageEnvironment() };
  for (const entry of envEntries) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.name === 'GATEWAY_ENCRYPTION_KEY')
      env[entry.name] = standIns[entry.name] ??= randomBytes(32).toString('hex');
    else if (entry.name === 'REDIS_URL') env[entry.name] = redisUrl;
    else
      env[entry.name] = standIns[entry.name] ??=
        `k8s-${entry.name.toLowerCase()}-${randomBytes(12).toString('hex')}`;
  }
  registerSecrets(...Object.values(standIns));
  return env;
}

const configText: string = configMap.data['gateway.yaml'];
let redis: TestRedis;
let config: GatewayConfig;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await TestRedis.start();
  env = podEnvironment(redis.url);
  config = parseConfig(configText, 'deploy/kubernetes/configmap.yaml', env);
});

afterAll(async () => {
  await redis?.kill();
});

describe('deploy/kubernetes', () => {
  it('the environment fills the configuration, names only what the code reads, from the Secret', () => {
    const references = new Set(
      [...configText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((match) => match[1]!),
    );
    const read = variablesReadByTheCode();
    for (const name of ['GATEWAY_CONFIG', 'GATEWAY_ENCRYPTION_KEY', 'PORT', 'GATEWAY_HOST'])
      expect(read, `the code reads ${name}`).toContain(name);
    for (const entry of envEntries)
      expect(read.has(entry.name) || references.has(entry.name), `${entry.name} is read by nobody`).toBe(
        true,
      );
    for (const name of references)
      expect(
        envEntries.map((entry) => entry.name),
        `\${${name}} in the ConfigMap`,
      ).toContain(name);
    // Redis is configured: every replica needs the same key.
    expect(config.redis).toBeDefined();
    expect(
      envEntries.find((entry) => entry.name === 'GATEWAY_ENCRYPTION_KEY')?.valueFrom?.secretKeyRef,
    ).toBeDefined();

    const secretKeys = Object.keys(secret.stringData);
    const referenced = envEntries.flatMap((entry) =>
      entry.valueFrom?.secretKeyRef ? [entry.valueFrom.secretKeyRef] : [],
    );
    for (const ref of referenced) {
      expect(ref.name).toBe(secret.metadata.name);
      expect(secretKeys).toContain(ref.key);
    }
    expect(secretKeys.sort()).toEqual(referenced.map((ref) => ref.key).sort());
    // No secret in the ConfigMap or the Deployment itself.
    for (const entry of envEntries)
      if (entry.value !== undefined) expect(entry.name).toMatch(/^GATEWAY_CONFIG$|^PORT$|^GATEWAY_HOST$/);
  });

  it('GATEWAY_CONFIG is the file the ConfigMap mounts', () => {
    const path = envEntries.find((entry) => entry.name === 'GATEWAY_CONFIG')?.value;
    const volume = pod.volumes.find(
      (candidate: Manifest) => candidate.configMap?.name === configMap.metadata.name,
    );
    expect(volume).toBeDefined();
    const mount = container.volumeMounts.find((candidate: Manifest) => candidate.name === volume.name);
    const item = volume.configMap.items.find((candidate: Manifest) => candidate.key === 'gateway.yaml');
    expect(`${mount.mountPath}/${item.path}`).toBe(path);
    expect(mount.readOnly).toBe(true);
  });

  it('the container port is where the gateway listens, on every interface; the Service and probes use it by name', () => {
    const selection = selectConfig([], env);
    const port = selection.portOverride ?? config.listen.port;
    const host = selection.hostArgument ?? selection.hostOverride ?? config.listen.host;
    const http = container.ports.find((candidate: Manifest) => candidate.name === 'http');
    expect(http.containerPort).toBe(port);
    expect(['0.0.0.0', '::']).toContain(host);
    expect(service.spec.ports.map((entry: Manifest) => entry.targetPort)).toEqual(['http']);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
      expect(container[probe].httpGet.port, probe).toBe('http');
  });

  it('the probe paths are routes the gateway serves: liveness and startup stay 200 while it drains, readiness 503', async () => {
    const served = structuredClone(config);
    delete served.probes; // scheduled probes would call the real carriers
    const gateway: Gateway = await createGateway(served, {
      log: testLogger('kubernetes'),
      sealer: TokenSealer.fromEnvironmentValue(env.GATEWAY_ENCRYPTION_KEY!),
    });
    try {
      const base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
      const get = async (probe: string) => (await fetch(`${base}${container[probe].httpGet.path}`)).status;
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
        expect(await get(probe), probe).toBe(200);
      gateway.drain.beginDraining();
      expect(await get('startupProbe')).toBe(200);
      expect(await get('livenessProbe')).toBe(200);
      expect(await get('readinessProbe')).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('the stop fits: readiness notices the drain within the grace, and the pod gets longer than preStop + timeout', () => {
    const { graceMs, timeoutMs } = config.shutdown;
    const readiness = container.readinessProbe;
    expect(readiness.periodSeconds * readiness.failureThreshold * 1000).toBeLessThanOrEqual(graceMs);
    const preStop: string[] = container.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    const preStopSeconds = Number(preStop[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + timeoutMs / 1000);
    // A liveness probe must not restart a pod that is merely slow to start.
    const startup = container.startupProbe;
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(30);
  });

  it('Deployment, Service and PodDisruptionBudget select the same pods, which run as the image user', () => {
    const labels = deployment.spec.template.metadata.labels;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(service.spec.selector)).toBe(true);
    expect(selects(budget.spec.selector.matchLabels)).toBe(true);
    expect(budget.spec.maxUnavailable ?? deployment.spec.replicas - budget.spec.minAvailable).toBeLessThan(
      deployment.spec.replicas,
    );
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    // The image's `node` user is uid 1000 in the official Node images.
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(pod.securityContext.runAsUser).toBe(1000);
    // The image's own command runs: `node dist/src/main.js`, which needs GATEWAY_CONFIG.
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
  });

  it('kustomization.yaml lists every manifest but the example Secret', () => {
    const kustomization = manifests.find((manifest) => manifest.file === 'kustomization.yaml')!;
    const listed = [...kustomization.resources].sort();
    const files = [...new Set(manifests.map((manifest) => manifest.file))]
      .filter((file) => file !== 'kustomization.yaml' && file !== 'secret.example.yaml')
      .sort();
    expect(listed).toEqual(files);
  });
});
