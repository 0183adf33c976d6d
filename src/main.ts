#!/usr/bin/env node
/**
 * @module main
 * The `carrier-gateway` program. With no command, `serve`, or the options the gateway always took
 * (`--config FILE`), it runs the gateway (src/cli/serve.ts); any other command is an admin
 * command against a running gateway (src/cli/run.ts), and its result is the exit status.
 */
import { isServeCommandLine, run } from './cli/run.js';

const argv = process.argv.slice(2);
if (isServeCommandLine(argv)) {
  // Loaded only to serve, so admin commands start without the gateway's modules.
  const { serve, startFailed } = await import('./cli/serve.js');
  await serve(argv[0] === 'serve' ? argv.slice(1) : argv).catch(startFailed);
} else {
  process.exitCode = await run(argv, process.env, { stdout: process.stdout, stderr: process.stderr });
}
