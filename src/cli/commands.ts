import type { Command } from 'commander';
import type { Wrap } from './main.js';
import { registerAffinities } from './affinities.js';
import { registerScore } from './score.js';
import { registerSegments } from './segments.js';

/** Every command, one line each: a new command adds its register function here. */
export const commands: Array<(program: Command, wrap: Wrap) => void> = [registerScore, registerSegments, registerAffinities];
