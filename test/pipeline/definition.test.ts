import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { flagsFromProgram } from '../../src/cli/run.js';
import type { Streams } from '../../src/cli/context.js';
import { parsePipeline, PipelineError, stepArgv, type FlagsOf } from '../../src/pipeline/definition.js';
import { STEPS } from '../../src/pipeline/steps.js';

const streams = { stdout: process.stdout, stderr: process.stderr, env: {} } as unknown as Streams;
const program = await buildProgram(streams, () => undefined, 'all');
const flagsOf: FlagsOf = flagsFromProgram(program);
const FILE = '/srv/jobs/nightly.yaml';

function problems(text: string): string[] {
  try {
    parsePipeline(text, FILE, flagsOf);
  } catch (error) {
    if (error instanceof PipelineError) return error.problems;
    throw error;
  }
  throw new Error('the pipeline was accepted');
}

describe('a pipeline file', () => {
  it('reads steps with the flags of their commands, paths from the file\'s folder', () => {
    const pipeline = parsePipeline(
      `db: ../data/shop.db
steps:
  - import: { files: "inbox/*.csv", archive: done, source: shop, kind: contacts }
  - clean: { fix: true }
  - dedupe: { new: true, apply: true, threshold: 0.9 }
  - score: { as-of: 2025-06-30, method: rfmcca, bins: 4, clv: true }
  - export: { segment: [champions, at risk], preset: brevo, out: out/best.csv }
  - report: { html: report.html }
  - gdpr-purge: { prospects: 2y, as-of: 2025-06-30 }
`,
      FILE,
      flagsOf,
    );
    expect(pipeline.db).toBe('/srv/data/shop.db');
    expect(pipeline.steps.map((s) => s.kind.name)).toEqual(['import', 'clean', 'dedupe', 'score', 'export', 'report', 'gdpr-purge']);
    expect(pipeline.steps[0]!.files).toEqual(['/srv/jobs/inbox/*.csv']);
    expect(pipeline.steps[0]!.archive).toBe('/srv/jobs/done');
    expect(stepArgv(pipeline.steps[2]!)).toEqual(['dedupe', '--new', '--apply', '--threshold=0.9']);
    expect(stepArgv(pipeline.steps[3]!)).toEqual(['score', '--as-of=2025-06-30', '--method=rfmcca', '--bins=4', '--clv']);
    expect(stepArgv(pipeline.steps[4]!)).toEqual(['export', '--segment=champions', '--segment=at risk', '--preset=brevo', `--out=${path.resolve('/srv/jobs/out/best.csv')}`]);
    expect(stepArgv(pipeline.steps[5]!)).toEqual(['report', '--html=/srv/jobs/report.html']);
    expect(stepArgv(pipeline.steps[6]!)).toEqual(['gdpr', 'purge', '--prospects=2y', '--as-of=2025-06-30']);
  });

  it('reads JSON too, and a bare step name', () => {
    const pipeline = parsePipeline('{"steps": ["report", {"clean": {"fix": true}}]}', '/x/p.json', flagsOf);
    expect(pipeline.steps.map((s) => stepArgv(s))).toEqual([['report'], ['clean', '--fix']]);
  });

  it('names the step (number and name) and the key of every problem, all at once', () => {
    expect(
      problems(`steps:
  - clean: { fix: yes-please }
  - score: { method: rfmca, as-of: 30/06/2025 }
  - dedupe: { aply: true, threshold: 2 }
  - export: { preset: brevo }
  - export: { out: "-", channel: fax }
`),
    ).toEqual([
      'step 1 (clean): key "fix": expected true or false',
      'step 2 (score): key "as-of": a date as yyyy-mm-dd',
      expect.stringMatching(/^step 2 \(score\): key "method": .*rfmcca/),
      'step 3 (dedupe): key "threshold": a probability of at most 1',
      'step 3 (dedupe): unknown key "aply" (custkit dedupe has no --aply flag; see custkit dedupe --help)',
      'step 4 (export): key "out" is required',
      expect.stringMatching(/^step 5 \(export\): key "channel": .*email/),
      'step 5 (export): key "out": a file: a pipeline writes no list to stdout',
    ]);
  });

  it('refuses flags that make no sense unattended, saying why', () => {
    expect(problems('steps:\n  - clean: { undo: 3 }\n  - import: { files: "*.csv", archive: done, dry-run: true }')).toEqual([
      'step 1 (clean): key "undo" is not allowed in a pipeline: undoing a fix run is done by hand: custkit clean --undo RUN',
      'step 2 (import): key "dry-run" is not allowed in a pipeline: a pipeline has its own: custkit run --dry-run',
    ]);
  });

  it('refuses an unknown step, an import without files or archive, unknown top-level keys, bad YAML', () => {
    expect(problems('steps:\n  - scroe: {}')).toEqual([`step 1: unknown step "scroe" (steps: ${STEPS.map((s) => s.name).join(', ')})`]);
    expect(problems('steps:\n  - import: { source: shop }')).toEqual(['step 1 (import): key "files" is required', 'step 1 (import): key "archive" is required']);
    expect(problems('stepz: []')).toEqual(expect.arrayContaining([expect.stringMatching(/unknown top-level key\(s\) "stepz"/)]));
    expect(problems('steps: []')).toEqual(['"steps": name at least one step']);
    expect(problems('steps:\n  - clean: { fix: true\n')[0]).toMatch(/^line \d+, column \d+: /);
    expect(problems('steps:\n  - { clean: {}, score: {} }')[0]).toMatch(/^step 1: a step is one name with its options/);
    expect(problems('steps:\n  - import: { files: "inbox/*.csv", archive: inbox }')).toEqual(['step 1 (import): key "archive": the folder the files are taken from (/srv/jobs/inbox/*.csv); name another, e.g. inbox/done']);
  });

  it('the error names the pipeline file on every line', () => {
    try {
      parsePipeline('steps:\n  - score: { bins: 7 }', FILE, flagsOf);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/^\/srv\/jobs\/nightly\.yaml: step 1 \(score\): key "bins": /);
    }
  });

  it('every step is a command of the CLI, and every key it refuses is one of that command\'s flags', () => {
    for (const kind of STEPS) {
      const keys = flagsOf(kind).map((f) => f.key);
      expect(keys.length, kind.name).toBeGreaterThan(0);
      for (const key of [...Object.keys(kind.excluded), ...(kind.required ?? []), ...Object.keys(kind.values ?? {}), ...(kind.paths?.read ?? []), ...(kind.paths?.written ?? [])]) {
        expect(keys, `${kind.name}: ${key}`).toContain(key);
      }
    }
  });
});
