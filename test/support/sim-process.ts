/**
 * @module test/support/sim-process
 * A carrier simulator in its own process (src/cli/simulator.ts), steered through its `/__sim/*`
 * control API. Load tests use it so the simulator's event loop is not starved by the load the
 * test process itself generates: a late simulator would reject tokens that were fresh when sent.
 */
import { spawn } from 'node:child_process';

import type { SimClient, SimFaults, SimStats } from '../../src/sim/index.js';
import { projectRoot } from '../../src/platform/project-root.js';

export interface SimulatorProcess {
  url: string;
  stats(): Promise<SimStats>;
  setFaults(faults: Partial<SimFaults>): Promise<void>;
  issueRefreshToken(clientId: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(
  carrier: 'ups' | 'fedex' | 'oauth2',
  clients: SimClient[],
): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/simulator.ts', '--carrier', carrier], {
    cwd: projectRoot(),
    env: { ...process.env, SIM_CLIENTS: JSON.stringify(clients) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((candidate) => candidate.includes('"url"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
  });
  const control = async (path: string, body?: unknown) => {
    const response = await fetch(`${url}/__sim/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`simulator control ${path}: HTTP ${response.status}`);
    return response.json() as Promise<unknown>;
  };
  return {
    url,
    stats: () => control('stats') as Promise<SimStats>,
    setFaults: async (faults) => void (await control('faults', faults)),
    issueRefreshToken: async (clientId) =>
      ((await control('refresh-tokens', { clientId })) as { refresh_token: string }).refresh_token,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
