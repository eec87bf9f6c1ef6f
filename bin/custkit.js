#!/usr/bin/env node
// Launcher: the CLI is written in TypeScript and built to dist/ by `npm run build`.
import { run } from '../dist/cli/main.js';

// `custkit export | head`: the reader went away; stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await run(process.argv);
