/**
 * A pipeline file (YAML or JSON) read and checked before anything runs: every problem is reported at once,
 * each naming the step (its number and name) and the key, so a typo found at 3 a.m. is one edit.
 */
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { STEPS, stepKind, type FlagInfo, type StepKind } from './steps.js';

export type OptionValue = string | boolean | string[];

export interface PlannedStep {
  /** 1-based, as the user counts the steps of the file. */
  index: number;
  kind: StepKind;
  /** The command's flags, without dashes, paths resolved from the pipeline file's folder. */
  options: Record<string, OptionValue>;
  /** consumesFiles steps: the globs (absolute) and the archive folder (absolute). */
  files?: string[];
  archive?: string;
}

export interface Pipeline {
  file: string;
  /** The store the file names (absolute), if it names one. */
  db?: string;
  steps: PlannedStep[];
}

/** Every problem found in a pipeline file, one line each. */
export class PipelineError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
  }
}

/** The flags of a step's command (src/cli/run.ts reads them from the command itself). */
export type FlagsOf = (kind: StepKind) => FlagInfo[];

const nonEmpty = z.string().min(1, 'must not be empty');
const scalar = z.union([z.string(), z.number()]).transform(String);

/** The zod schema of one step's options: the command's flags, less the excluded ones, plus the step's own keys. */
export function optionsSchema(kind: StepKind, flags: FlagInfo[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const flag of flags) {
    if (flag.key in kind.excluded) continue;
    const checked = kind.values?.[flag.key];
    const one = flag.choices ? z.enum(flag.choices as [string, ...string[]]) : checked ? checked.transform(String) : scalar;
    let schema: z.ZodType = !flag.takesValue ? z.boolean({ error: 'expected true or false' }) : flag.repeatable ? z.union([one, z.array(one)]) : one;
    if (!kind.required?.includes(flag.key)) schema = schema.optional();
    shape[flag.key] = schema;
  }
  if (kind.consumesFiles) {
    shape.files = z.union([nonEmpty, z.array(nonEmpty).min(1, 'name at least one glob')], { error: 'a glob ("inbox/*.csv") or a list of globs' });
    shape.archive = nonEmpty;
  }
  return z.strictObject(shape);
}

function describeIssue(issue: z.core.$ZodIssue, kind: StepKind, given: object): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `unknown key "${key}" (custkit ${kind.command.join(' ')} has no --${key} flag; see custkit ${kind.command.join(' ')} --help)`).join('; ');
  }
  const key = issue.path.join('.');
  if (issue.path.length === 1 && !(String(issue.path[0]) in given)) return `key "${key}" is required`;
  return `key "${key}": ${issue.message}`;
}

/** Reads the text of a pipeline file; `file` is used to name it and to resolve relative paths. */
export function parsePipeline(text: string, file: string, flagsOf: FlagsOf): Pipeline {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PipelineError(file, doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`));
  }
  const top = z.strictObject({ db: nonEmpty.optional(), steps: z.array(z.unknown()).min(1, 'name at least one step') }).safeParse(doc.toJS());
  if (!top.success) {
    throw new PipelineError(file, top.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown top-level key(s) ${i.keys.map((k) => `"${k}"`).join(', ')} (a pipeline has "steps" and may have "db")` : i.path.length ? `"${i.path.join('.')}": ${i.message}` : `${i.message} (a pipeline is a mapping with "steps:", a list)`)));
  }
  const dir = path.dirname(path.resolve(file));
  const problems: string[] = [];
  const steps: PlannedStep[] = [];
  top.data.steps.forEach((raw, i) => {
    const index = i + 1;
    const entry = typeof raw === 'string' ? [raw, {}] : raw && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 1 ? Object.entries(raw)[0]! : null;
    if (!entry) {
      problems.push(`step ${index}: a step is one name with its options, e.g. "- score: { as-of: 2025-06-30 }" or "- clean: { fix: true }"`);
      return;
    }
    const [name, rawOptions] = entry as [string, unknown];
    const kind = stepKind(name);
    if (!kind) {
      problems.push(`step ${index}: unknown step "${name}" (steps: ${STEPS.map((s) => s.name).join(', ')})`);
      return;
    }
    const label = `step ${index} (${name})`;
    const options = rawOptions ?? {};
    if (typeof options !== 'object' || Array.isArray(options)) {
      problems.push(`${label}: its options are a mapping of flags, e.g. "- ${name}: { ${Object.keys(kind.excluded)[0] ?? 'quiet'}: true }"`);
      return;
    }
    const refused = Object.keys(options).filter((key) => key in kind.excluded);
    for (const key of refused) problems.push(`${label}: key "${key}" is not allowed in a pipeline: ${kind.excluded[key]}`);
    const given = Object.fromEntries(Object.entries(options).filter(([key]) => !(key in kind.excluded)));
    const parsed = optionsSchema(kind, flagsOf(kind)).safeParse(given);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}: ${describeIssue(issue, kind, given)}`);
      return;
    }
    if (refused.length > 0) return;
    const planned = plan(index, kind, Object.fromEntries(Object.keys(given).map((key) => [key, (parsed.data as Record<string, unknown>)[key]])), dir);
    // Files already in the archive are never taken again: an archive that is the inbox would take none.
    const sameFolder = planned.files?.find((glob) => planned.archive !== undefined && globBase(glob) === planned.archive);
    if (sameFolder) {
      problems.push(`${label}: key "archive": the folder the files are taken from (${sameFolder}); name another, e.g. ${path.join(path.relative(dir, planned.archive!) || '.', 'done')}`);
      return;
    }
    steps.push(planned);
  });
  if (problems.length > 0) throw new PipelineError(file, problems);
  return { file: path.resolve(file), db: top.data.db === undefined ? undefined : path.resolve(dir, top.data.db), steps };
}

/** The folder part of a glob before its first wildcard: /srv/inbox for /srv/inbox/*.csv. */
function globBase(glob: string): string {
  const parts = glob.split(path.sep);
  const first = parts.findIndex((p) => /[*?[\]{}!]/.test(p));
  return first < 0 ? path.dirname(glob) : parts.slice(0, first).join(path.sep) || path.sep;
}

/** The step with its keys in the file's order (the dry run and the log show them as written). */
function plan(index: number, kind: StepKind, data: Record<string, unknown>, dir: string): PlannedStep {
  const options: Record<string, OptionValue> = {};
  const filePaths = new Set([...(kind.paths?.read ?? []), ...(kind.paths?.written ?? [])]);
  let files: string[] | undefined;
  let archive: string | undefined;
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (kind.consumesFiles && key === 'files') files = (Array.isArray(value) ? value : [value]).map((g) => path.resolve(dir, String(g)));
    else if (kind.consumesFiles && key === 'archive') archive = path.resolve(dir, String(value));
    else if (filePaths.has(key)) options[key] = path.resolve(dir, String(value));
    else options[key] = Array.isArray(value) ? value.map(String) : (value as string | boolean);
  }
  return { index, kind, options, files, archive };
}

/** The command line of a step: its command's words, then `--key=value` for each option (never read as a flag). */
export function stepArgv(step: PlannedStep, options: Record<string, OptionValue> = step.options): string[] {
  const argv = [...step.kind.command];
  for (const [key, value] of Object.entries(options)) {
    if (value === true) argv.push(`--${key}`);
    else if (value === false) continue;
    else for (const one of Array.isArray(value) ? value : [value]) argv.push(`--${key}=${one}`);
  }
  return argv;
}
