import type { Command } from 'commander';
import type { Wrap } from './main.js';
import { registerImport } from './import.js';
import { registerRejects } from './rejects.js';
import { registerDb } from './db.js';
import { registerExport } from './export.js';
import { registerExports } from './exports.js';
import { registerSeeds } from './seeds.js';
import { registerSuppress } from './suppress.js';

/** Every command, one line each: a new command adds its register function here. */
export const commands: Array<(program: Command, wrap: Wrap) => void> = [
  registerImport,
  registerRejects,
  registerDb,
  registerExport,
  registerExports,
  registerSuppress,
  registerSeeds,
];
