/**
 * Bounds on what reading one input file may hold in memory, whatever the file contains. Each has a
 * default that fits every real export seen, a flag of `import` and an environment variable to raise it;
 * every refusal names the limit, the value met, and how to raise it.
 */
import { InputError } from './errors.js';

export interface InputLimits {
  /** Characters of one CSV cell; bytes of one XML text or tag in a workbook. A CSV record may be 4x this. */
  maxCellSize: number;
  /** Columns of one row (header included). */
  maxColumns: number;
  /** Bytes of a workbook once unzipped (every part together), declared and counted while inflating. */
  maxUnzippedSize: number;
  /** Unzipped / zipped size of one workbook part larger than 1 MiB (real sheets stay under ~100x). */
  maxZipRatio: number;
  /** Bytes of the workbook parts kept in memory while the sheets stream (shared strings, styles, relations). */
  maxSharedStrings: number;
}

export type LimitName = keyof InputLimits;

interface LimitSpec {
  flag: string;
  env: string;
  fallback: number;
  /** How a value is written: sizes accept k/M/G suffixes (KiB, MiB, GiB). */
  unit: 'bytes' | 'count';
  describe: string;
}

export const LIMITS: Record<LimitName, LimitSpec> = {
  maxCellSize: { flag: '--max-cell-size', env: 'CUSTKIT_MAX_CELL_SIZE', fallback: 1 << 20, unit: 'bytes', describe: 'largest cell' },
  maxColumns: { flag: '--max-columns', env: 'CUSTKIT_MAX_COLUMNS', fallback: 2000, unit: 'count', describe: 'most columns in a row' },
  maxUnzippedSize: { flag: '--max-unzipped-size', env: 'CUSTKIT_MAX_UNZIPPED_SIZE', fallback: 2 ** 30, unit: 'bytes', describe: 'largest unzipped workbook' },
  maxZipRatio: { flag: '--max-zip-ratio', env: 'CUSTKIT_MAX_ZIP_RATIO', fallback: 200, unit: 'count', describe: 'highest compression ratio of a workbook part' },
  maxSharedStrings: { flag: '--max-shared-strings', env: 'CUSTKIT_MAX_SHARED_STRINGS', fallback: 64 * 2 ** 20, unit: 'bytes', describe: 'largest shared strings and styles of a workbook' },
};

export const DEFAULT_LIMITS: InputLimits = Object.fromEntries(
  Object.entries(LIMITS).map(([name, spec]) => [name, spec.fallback]),
) as unknown as InputLimits;

const SUFFIX: Record<string, number> = { '': 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30 };

/** "64M" / "1GiB" / "500000" as a positive integer; null when it is not one. */
export function parseLimit(text: string, unit: LimitSpec['unit']): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const factor = unit === 'bytes' ? SUFFIX[match[2]!.toLowerCase()] : match[2] === '' ? 1 : undefined;
  if (factor === undefined) return null;
  const value = Math.floor(Number(match[1]) * factor);
  return value >= 1 && Number.isSafeInteger(value) ? value : null;
}

/** 1048576 -> "1 MiB"; counts as plain numbers. */
export function formatLimit(name: LimitName, value: number): string {
  if (LIMITS[name].unit === 'count') return value.toLocaleString('en');
  for (const [suffix, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (value >= size) return `${Number((value / size).toFixed(1))} ${suffix}`;
  }
  return `${value} bytes`;
}

/**
 * The limits in force: a flag beats its environment variable, which beats the default. A value that is
 * not a positive number is a usage error naming where it came from.
 */
export function resolveLimits(flags: Partial<Record<LimitName, string>>, env: NodeJS.ProcessEnv, onBad: (message: string) => never): InputLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const name of Object.keys(LIMITS) as LimitName[]) {
    const spec = LIMITS[name];
    const [text, from] = flags[name] !== undefined ? [flags[name]!, spec.flag] : env[spec.env] !== undefined ? [env[spec.env]!, spec.env] : [null, ''];
    if (text === null) continue;
    const value = parseLimit(text, spec.unit);
    if (value === null) onBad(`${from}: "${text}" is not ${spec.unit === 'bytes' ? 'a size (e.g. 500000, 64M, 2G)' : 'a positive whole number'}`);
    limits[name] = value;
  }
  return limits;
}

/** The refusal for a file over a limit: what was met, the limit, and the two ways to raise it. */
export class LimitError extends InputError {
  constructor(
    readonly file: string,
    readonly limit: LimitName,
    readonly value: number,
    what: string,
  ) {
    const spec = LIMITS[limit];
    super(`${file}: ${what}, over the ${formatLimit(limit, value)} limit on the ${spec.describe} custkit reads; ` +
      `if the file is genuine, raise the limit with ${spec.flag} or ${spec.env}`);
  }
}
