import type { Command } from 'commander';
import type { Wrap } from './main.js';
import { registerValidate } from './validate.js';
import { registerClean } from './clean.js';

/** Every command, one line each: a new command adds its register function here. */
export const commands: Array<(program: Command, wrap: Wrap) => void> = [
  registerValidate,
  registerClean,
];
