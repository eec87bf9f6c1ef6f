#!/usr/bin/env node
// Launcher: the CLI is written in TypeScript and built to dist/ by `npm run build`.
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv);
