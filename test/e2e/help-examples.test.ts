/**
 * Every example of every --help runs, as printed, against a store built from fixtures/: the help is the
 * spec, and an example that fails is a user's first error. The examples of one help text run in their
 * order (they often follow on from each other: --review then --apply --decisions), on a fresh copy.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { buildExampleWorkspace, copyWorkspace, type ExampleWorkspace } from '../helpers/example-store.js';
import { examplesOf, helpTexts, type HelpText } from '../helpers/help-texts.js';

/**
 * Examples that document exit 3 ("finished, but some rows were rejected or flagged"), keyed by help
 * path and example. Every other example must exit 0, and each of these must exit exactly 3.
 */
const EXIT_3: Record<string, string> = {
  // validate exits 3 when a value is invalid: the fixtures hold invalid emails and phones on purpose.
  ' custkit validate': 'the fixtures hold invalid values on purpose',
  ' custkit --db /data/shop.db --json validate > health.json': 'the fixtures hold invalid values on purpose',
  'validate custkit validate': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --json > health.json': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --out issues.csv': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --out issues.csv --delimiter ";" --bom': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --out issues.xlsx': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --country BE': 'the fixtures hold invalid values on purpose',
  'validate custkit validate --require "email,last_name"': 'the fixtures hold invalid values on purpose',
  // The rows written by "rejects --out" are re-imported as they are, unfixed: rejected again.
  'rejects custkit import fix.csv': 'the example store\'s rejected rows are not fixed before the re-import',
  // purge exits 3 when it purges (or would): the example store holds people collected in 2019-2020.
  'gdpr purge custkit gdpr purge --dry-run': 'the example store holds prospects collected more than 3 years ago',
  'gdpr purge custkit gdpr purge': 'the example store holds prospects collected more than 3 years ago',
};

/** What a user would have done before following a help text's examples. */
const BEFORE: Record<string, string[][]> = {
  // "--with-seeds 3" needs three registered trap addresses (seeds add, shown in "custkit seeds --help").
  export: [1, 2, 3].map((n) => ['seeds', 'add', `trap${n}@my-domain.fr`]),
  // "runs --id last" shows the latest run: there is one once the pipeline of "custkit run --help" ran.
  runs: [['run', 'nightly.yaml']],
};

/**
 * Placeholders that no fixed text can fill: contact uids differ in every store, and the absolute store
 * path an example shows (/data/shop.db) is the workspace's.
 */
function fillPlaceholders(example: string, workspace: ExampleWorkspace): string {
  return example.replaceAll('UID1', workspace.uids[0]).replaceAll('UID2', workspace.uids[1]).replaceAll('/data/', `${workspace.dir}/`);
}

function runLine(line: string, cwd: string): { code: number; output: string } {
  const script = `set -o pipefail; custkit() { "$CK_NODE" "$CK_BIN" "$@"; }; ${line}`;
  const result = spawnSync('bash', ['-c', script], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CUSTKIT_DB: undefined, CK_NODE: process.execPath, CK_BIN: BIN },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, output: `${result.stdout}\n${result.stderr}` };
}

const texts: HelpText[] = await helpTexts();
let workspace: ExampleWorkspace;

beforeAll(async () => {
  workspace = await buildExampleWorkspace();
}, 120_000);

describe('the examples of every --help', () => {
  it('are found in every help text that has an Examples section', () => {
    const withExamples = texts.filter((t) => /\nExamples:\n/.test(t.text));
    // Top level, every command, and the commands with subcommands (db, seeds).
    expect(withExamples.map((t) => t.path)).toEqual(expect.arrayContaining(['', 'import', 'export', 'db', 'seeds', 'validate', 'clean', 'dedupe']));
    for (const t of withExamples) expect(examplesOf(t.text).length, `custkit ${t.path} --help`).toBeGreaterThan(0);
    // An allow-list entry whose example is gone would silently allow nothing.
    for (const key of Object.keys(EXIT_3)) expect(texts.some((t) => examplesOf(t.text).some((e) => `${t.path} ${e}` === key)), key).toBe(true);
  });

  it('are read as a user would copy them: prompt, comment and explanation left out', () => {
    expect(examplesOf('Examples:\n  # comment\n  $ custkit a --x "two  spaces"   what it does\n  custkit b  # note\n  cat f | custkit c -\nProse.\n  custkit d')).toEqual([
      'custkit a --x "two  spaces"',
      'custkit b',
      'cat f | custkit c -',
    ]);
  });

  for (const help of texts.filter((t) => examplesOf(t.text).length > 0)) {
    it(`custkit ${help.path ? `${help.path} ` : ''}--help: every example runs`, () => {
      const failures: string[] = [];
      const copy = copyWorkspace(workspace);
      for (const args of BEFORE[help.path] ?? []) {
        const before = runLine(`custkit ${args.map((a) => `'${a}'`).join(' ')}`, copy.dir);
        if (before.code !== 0) failures.push(`before the examples: custkit ${args.join(' ')} exited ${before.code}\n${before.output}`);
      }
      for (const example of examplesOf(help.text)) {
        const expected = EXIT_3[`${help.path} ${example}`] ? 3 : 0;
        const { code, output } = runLine(fillPlaceholders(example, copy), copy.dir);
        if (code !== expected) failures.push(`"${example}" exited ${code}, expected ${expected}\n${output.trim().slice(0, 800)}`);
      }
      expect(failures.join('\n\n')).toBe('');
    }, 300_000);
  }
});
