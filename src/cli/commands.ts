import type { Command } from 'commander';
import type { Wrap } from './main.js';
import { registerImport } from './import.js';
import { registerRejects } from './rejects.js';
import { registerDb } from './db.js';
import { registerValidate } from './validate.js';
import { registerClean } from './clean.js';
import { registerScore } from './score.js';
import { registerSegments } from './segments.js';
import { registerAffinities } from './affinities.js';
import { registerDedupe } from './dedupe.js';
import { registerExplain } from './explain.js';
import { registerUnmerge } from './unmerge.js';
import { registerExport } from './export.js';
import { registerExports } from './exports.js';
import { registerSeeds } from './seeds.js';
import { registerSuppress } from './suppress.js';
import { registerReport } from './report.js';

/** Every command, one line each: a new command adds its register function here. */
export const commands: Array<(program: Command, wrap: Wrap) => void> = [
  registerImport,
  registerRejects,
  registerDb,
  registerValidate,
  registerClean,
  registerScore,
  registerSegments,
  registerAffinities,
  registerDedupe,
  registerExplain,
  registerUnmerge,
  registerExport,
  registerExports,
  registerSuppress,
  registerSeeds,
  registerReport,
];
