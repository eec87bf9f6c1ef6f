/** `--workers N|auto`, shared by validate, clean and export (apart from validate-options.ts, which loads the validators). */
import { UsageError } from './context.js';

export function parseWorkersFlag(value: string | undefined): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) > 16) throw new UsageError(`--workers: expected a number from 0 to 16 or "auto", got "${value}"`);
  return Number(value);
}
