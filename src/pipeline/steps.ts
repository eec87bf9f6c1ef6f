/**
 * The steps a pipeline file may name, as data: each is one custkit command, run with the flags the step
 * gives (the same words, without the dashes). Adding a step is adding an entry here: its options are read
 * from the command's own flags (src/cli/run.ts), so a pipeline accepts exactly what the command accepts,
 * and the command's own parsing, core and exit code run it.
 */
import { z } from 'zod';

/** A flag of a command as a pipeline sees it, read from the command itself. */
export interface FlagInfo {
  /** The long flag without its dashes: "as-of". */
  key: string;
  /** `--as-of <date>` takes a value; `--fix` does not. */
  takesValue: boolean;
  /** The values the command accepts, when it lists them. */
  choices?: readonly string[];
  /** Given several times (`export --segment a --segment b`): a list in a pipeline. */
  repeatable: boolean;
}

export interface StepKind {
  /** The step as a pipeline file names it. */
  name: string;
  /** The command's words on the command line. */
  command: string[];
  /** What the step does, for the dry run and the docs. */
  summary: string;
  /** Flags of the command a pipeline refuses, and why (said in the error). */
  excluded: Record<string, string>;
  /** Flags a step must give. */
  required?: string[];
  /** Keys whose values are files: resolved from the pipeline file's folder; written ones go to a scratch folder in a dry run. */
  paths?: { read?: string[]; written?: string[] };
  /** Values checked before anything runs, beyond what the flag's own list of choices says. */
  values?: Record<string, z.ZodType>;
  /**
   * Runs once per file matching the step's `files` glob, each moved to `archive` once imported.
   * Only `import` does: it is the step that consumes its input.
   */
  consumesFiles?: boolean;
  /** The figures of the command's --json summary kept in the run log (never personal data). */
  counts: (summary: unknown) => Record<string, number>;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as yyyy-mm-dd');
const numeric = z.union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, 'a number').transform(Number)]);
const probability = numeric.pipe(z.number().gt(0, 'a probability above 0').max(1, 'a probability of at most 1'));
const positiveInt = numeric.pipe(z.number().int('a whole number').positive('a number above 0'));

/**
 * The numbers among `keys` of a summary object (arrays count as their length), named in snake_case
 * whatever the command's JSON uses (runId, rows_read): one spelling in every log line.
 */
export function pick(summary: unknown, keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  if (summary === null || typeof summary !== 'object') return counts;
  for (const key of keys) {
    const value = (summary as Record<string, unknown>)[key];
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (typeof value === 'number') counts[name] = value;
    else if (Array.isArray(value)) counts[name] = value.length;
  }
  return counts;
}

export const STEPS: StepKind[] = [
  {
    name: 'import',
    command: ['import'],
    summary: 'import each file matching `files` (sorted by name), then move it to `archive`',
    excluded: { 'dry-run': 'a pipeline has its own: custkit run --dry-run' },
    consumesFiles: true,
    counts: (s) => pick(s, ['rows_read', 'imported', 'updated', 'unchanged', 'rejected', 'rows_with_unread_values']),
  },
  {
    name: 'clean',
    command: ['clean'],
    summary: 'normalise fields and fix what clean fixes (with fix: true; without it, a report only)',
    excluded: { undo: 'undoing a fix run is done by hand: custkit clean --undo RUN', runs: 'a listing, not a step: custkit clean --runs' },
    values: { 'as-of': isoDate },
    counts: (s) => {
      const rules = (s as { rules?: Array<{ count?: number; applies?: boolean }> } | null)?.rules ?? [];
      return { ...pick(s, ['runId', 'validated']), changes: rules.filter((r) => r.applies !== false).reduce((sum, r) => sum + (r.count ?? 0), 0) };
    },
  },
  {
    name: 'dedupe',
    command: ['dedupe'],
    summary: 'find the same person twice; merge with apply: true',
    excluded: {},
    paths: { read: ['decisions'], written: ['review'] },
    values: { threshold: probability, 'chain-threshold': probability, 'max-block': positiveInt, 'max-pairs': positiveInt },
    counts: (s) => pick(s, ['contacts', 'candidate_pairs', 'matches', 'clusters', 'contacts_that_would_merge', 'merges', 'kept_apart', 'undecided']),
  },
  {
    name: 'score',
    command: ['score'],
    summary: 'a new scoring run (RFM or RFMCCA, segments, lifetime value with clv: true)',
    excluded: { holdout: 'an accuracy check that writes nothing: run it by hand, custkit score --clv --holdout 6m' },
    paths: { read: ['thresholds'] },
    values: { 'as-of': isoDate, method: z.enum(['rfm', 'rfmcca']), bins: z.union([z.literal(4), z.literal(5), z.literal('4'), z.literal('5')]), binning: z.enum(['quantile', 'ntile', 'thresholds']) },
    counts: (s) => pick(s, ['runId', 'customers', 'prospects', 'segments']),
  },
  {
    name: 'export',
    command: ['export'],
    summary: 'write the list of people to contact to `out`',
    excluded: {},
    required: ['out'],
    paths: { written: ['out'] },
    values: { out: z.string().refine((v) => v !== '-', 'a file: a pipeline writes no list to stdout'), limit: positiveInt, run: positiveInt, 'with-seeds': positiveInt },
    counts: (s) => ({ ...pick(s, ['exportId', 'rows', 'seeds', 'files']), ...pick((s as { funnel?: unknown } | null)?.funnel, ['selected', 'noAddress', 'noConsent', 'suppressed']) }),
  },
  {
    name: 'report',
    command: ['report'],
    summary: 'KPIs; one HTML file with html: FILE',
    excluded: {},
    paths: { written: ['html'] },
    values: { 'as-of': isoDate, months: positiveInt },
    counts: (s) => ({ ...pick((s as { contacts?: unknown } | null)?.contacts, ['total', 'active', 'customers']) }),
  },
  {
    name: 'gdpr-purge',
    command: ['gdpr', 'purge'],
    summary: 'erase the people whose retention period is over (CNIL defaults: 3 years), and old rejected rows; exits 3 when it purged anyone',
    excluded: { 'dry-run': 'a pipeline has its own: custkit run --dry-run' },
    values: { 'as-of': isoDate },
    counts: (s) => {
      const rejects = pick((s as { rejects?: unknown } | null)?.rejects, ['rows']);
      return { ...pick(s, ['prospects', 'customers', 'seeds_kept', 'suppressions_added']), ...(rejects.rows === undefined ? {} : { rejected_rows: rejects.rows }) };
    },
  },
];

export function stepKind(name: string): StepKind | undefined {
  return STEPS.find((s) => s.name === name);
}
