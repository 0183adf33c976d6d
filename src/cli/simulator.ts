/**
 * @module cli/simulator
 * Run one carrier simulator as its own process, for the demo and for tests that start the gateway
 * elsewhere and steer the simulator through `/__sim/*`.
 *
 *   tsx src/cli/simulator.ts --carrier ups --port 4001
 *   SIM_CLIENTS='[{"clientId":"id","clientSecret":"secret"}]' tsx src/cli/simulator.ts --carrier fedex
 *
 * Clients come from the SIM_CLIENTS environment variable (JSON array) rather than from flags, so
 * secrets do not show up in process listings. Prints one JSON line `{"carrier","url"}` once listening.
 */
import { parseArgs } from 'node:util';

import { z } from 'zod';

import { SIMULATORS } from '../../carriers/simulators.js';

const clientsSchema = z.array(
  z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) }),
);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      carrier: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const carrier = values.carrier ?? '';
  const start = (SIMULATORS as Record<string, (typeof SIMULATORS)['ups'] | undefined>)[carrier];
  if (!start) throw new Error(`--carrier must be one of: ${Object.keys(SIMULATORS).join(', ')}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('--port must be an integer 0-65535');
  const clients = clientsSchema.parse(JSON.parse(process.env['SIM_CLIENTS'] ?? '[]'));

  const sim = await start({ port, host: values.host, clients });
  process.stdout.write(`${JSON.stringify({ carrier, url: sim.url })}\n`);
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
