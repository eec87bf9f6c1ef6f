/**
 * The contract every command keeps (docs/cli.md): only import creates a store; -q leaves nothing but
 * the data asked for and errors; a dry run exits as the real run would. Each check covers every command
 * of the CLI, so a new command must be added to the tables below.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';
import { buildExampleWorkspace, copyWorkspace, type ExampleWorkspace } from '../helpers/example-store.js';
import { helpTexts } from '../helpers/help-texts.js';

/** Every runnable command path ("db info", "seeds add", "export"…), from the program itself. */
const leaves = (await helpTexts())
  .filter((h) => h.path !== '' && !h.path.endsWith('help') && h.command.commands.filter((c) => c.name() !== 'help').length === 0)
  .map((h) => h.path);

/** The commands that create a store where there is none: they fill it from a file. */
const CREATORS = ['import', 'db restore'];

/** Arguments that get each other command past its flag checks to the point where it opens the store. */
const ON_MISSING_STORE: Record<string, string[]> = {
  rejects: [],
  'db info': [],
  'db check': [],
  'db migrate': [],
  'db backup': ['copy.db'],
  'db backups': [],
  'db encrypt': [],
  'db decrypt': [],
  'db rekey': [],
  validate: [],
  clean: [],
  score: [],
  segments: [],
  affinities: [],
  dedupe: [],
  explain: ['0192f0c4-7c1e-7a51-9b1e-2a8d3c4e5f60', '0192f0c4-7c1e-7a51-9b1e-2a8d3c4e5f61'],
  unmerge: ['1'],
  merges: [],
  export: ['--out', 'list.csv'],
  exports: [],
  'campaigns list': [],
  'campaigns show': ['1'],
  'campaigns results': [fixture('campaigns/brevo-events.csv')],
  'campaigns returns': [fixture('campaigns/pnd-returns.csv')],
  'campaigns unmatched': [],
  'campaigns settings': [],
  'campaigns not-sent': ['1'],
  suppress: ['--list'],
  'seeds add': ['trap@my-domain.fr'],
  'seeds list': [],
  'seeds trace': ['trap@my-domain.fr'],
  'contact show': ['ann@example.com'],
  'contact find': ['--name', 'dupont'],
  'contact set': ['0192f0c4-7c1e-7a51-9b1e-2a8d3c4e5f60', 'city=Lyon'],
  'contact tag': ['0192f0c4-7c1e-7a51-9b1e-2a8d3c4e5f60', 'vip'],
  'contact untag': ['--where', "city = 'Lyon'", 'vip'],
  'gdpr consent': ['ann@example.com', '--channel', 'email', '--withdraw', '--source', 'phone call'],
  'gdpr access': ['ann@example.com', '--out', 'ann.json'],
  'gdpr erase': ['ann@example.com', '--reason', 'ticket 1'],
  'gdpr purge': ['--dry-run'],
  audit: [],
  'mappings forget': ['erp'],
  report: [],
  run: [fixture('pipeline/weekly.yaml')], // its first step is not an import: it needs a store
  runs: [],
};

describe('a missing store', () => {
  it('every command but import is in the table of this test', () => {
    expect(leaves.filter((p) => !CREATORS.includes(p) && !(p in ON_MISSING_STORE))).toEqual([]);
  });

  it.each(Object.entries(ON_MISSING_STORE))('custkit %s: "no custkit store here", exit 1, no file created', (command, args) => {
    const dir = tempDir();
    const store = path.join(dir, 'missing.db');
    const result = custkit([...command.split(' '), ...args], { db: store, cwd: dir });
    expect(result.stderr).toContain(`${store}: no custkit store here`);
    expect(result.code).toBe(1);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('missing.db'))).toEqual([]);
  });

  it('suppress ADDRESS and suppress --import do not create one either', () => {
    const dir = tempDir();
    const store = path.join(dir, 'missing.db');
    expect(custkit(['suppress', 'ann@example.com'], { db: store }).code).toBe(1);
    expect(custkit(['suppress', '--import', fixture('unsubscribed-mailchimp.csv')], { db: store }).code).toBe(1);
    expect(fs.existsSync(store)).toBe(false);
  });

  it('import creates it', () => {
    const store = path.join(tempDir(), 'new.db');
    expect(custkit(['import', fixture('clients-fr-cp1252.csv'), '-q'], { db: store }).code).toBe(0);
    expect(fs.statSync(store).mode & 0o777).toBe(0o600);
  });
});

/**
 * Each command run with -q, in this order on one store: what it must leave on stdout (nothing, or the
 * data it was asked for) and its exit code. stderr must stay empty: -q keeps errors only.
 */
const QUIET: Array<{ args: string[]; stdout: 'nothing' | 'data'; code: number; env?: NodeJS.ProcessEnv }> = [
  { args: ['import', 'shop.csv'], stdout: 'nothing', code: 0 },
  { args: ['import', fixture('purchases-fr.csv'), '--force'], stdout: 'nothing', code: 3 }, // rows rejected: the exit code says it
  { args: ['import', 'orders-erp.csv', '--source', 'erp', '--map', 'valeur_cmd=amount'], stdout: 'nothing', code: 0 }, // remembered
  { args: ['mappings'], stdout: 'data', code: 0 },
  { args: ['mappings', 'forget', 'erp'], stdout: 'nothing', code: 0 },
  { args: ['rejects'], stdout: 'data', code: 0 },
  { args: ['rejects', '--import', '4', '--out', '-'], stdout: 'data', code: 0 },
  { args: ['db', 'info'], stdout: 'data', code: 0 },
  { args: ['db', 'migrate'], stdout: 'nothing', code: 0 },
  { args: ['db', 'check'], stdout: 'nothing', code: 0 },
  { args: ['db', 'backup', 'copy.db'], stdout: 'nothing', code: 0 },
  { args: ['db', 'backups'], stdout: 'data', code: 0 },
  { args: ['db', 'restore', 'copy.db'], stdout: 'nothing', code: 0 },
  { args: ['db', 'encrypt'], stdout: 'nothing', code: 0, env: { CUSTKIT_KEY: 'first key' } },
  { args: ['db', 'rekey'], stdout: 'nothing', code: 0, env: { CUSTKIT_KEY: 'first key', CUSTKIT_NEW_KEY: 'second key' } },
  { args: ['db', 'decrypt'], stdout: 'nothing', code: 0, env: { CUSTKIT_KEY: 'second key' } },
  { args: ['validate'], stdout: 'nothing', code: 3 },
  { args: ['validate', '--out', 'issues.csv'], stdout: 'nothing', code: 3 },
  { args: ['clean'], stdout: 'nothing', code: 0 }, // clean run 1 (dry)
  { args: ['clean', '--fix'], stdout: 'nothing', code: 0 }, // clean run 2
  { args: ['clean', '--runs'], stdout: 'data', code: 0 },
  { args: ['clean', '--undo', '2'], stdout: 'nothing', code: 0 },
  { args: ['score', '--as-of', '2025-12-31'], stdout: 'nothing', code: 0 },
  { args: ['segments'], stdout: 'data', code: 0 },
  { args: ['affinities'], stdout: 'data', code: 0 },
  { args: ['dedupe'], stdout: 'nothing', code: 0 },
  { args: ['dedupe', '--review', 'review.csv'], stdout: 'nothing', code: 0 },
  { args: ['explain', 'UID1', 'UID2'], stdout: 'data', code: 0 },
  { args: ['unmerge', '2'], stdout: 'nothing', code: 0 },
  { args: ['unmerge', '--all-since', '2020-01-01'], stdout: 'nothing', code: 0 },
  { args: ['dedupe', '--apply'], stdout: 'nothing', code: 0 },
  { args: ['merges'], stdout: 'data', code: 0 },
  { args: ['suppress', 'jeanne.martin@example.fr'], stdout: 'nothing', code: 0 },
  { args: ['suppress', '--import', 'mailchimp_unsubscribed.csv'], stdout: 'nothing', code: 0 },
  { args: ['suppress', '--import', fixture('unsubscribed-mailchimp.csv')], stdout: 'nothing', code: 3 }, // a row that is not an address
  { args: ['suppress', '--list'], stdout: 'data', code: 0 },
  { args: ['seeds', 'add', 'trap@my-domain.fr'], stdout: 'nothing', code: 0 },
  { args: ['seeds', 'list'], stdout: 'data', code: 0 },
  { args: ['export', '--with-seeds', '1', '--out', 'partner.csv'], stdout: 'nothing', code: 0 },
  { args: ['export', '--include-unconsented', '--out', 'internal.csv'], stdout: 'nothing', code: 0 }, // its warning is recorded in the export log
  { args: ['export'], stdout: 'data', code: 0 },
  { args: ['seeds', 'trace', 'trap@my-domain.fr'], stdout: 'data', code: 0 },
  { args: ['seeds', 'trace', 'partner.csv'], stdout: 'data', code: 0 },
  { args: ['exports'], stdout: 'data', code: 0 },
  { args: ['campaigns', 'results', fixture('campaigns/brevo-events.csv'), '--campaign', '1'], stdout: 'nothing', code: 3 }, // its people are not members
  { args: ['campaigns', 'returns', fixture('campaigns/pnd-returns.csv')], stdout: 'nothing', code: 0 }, // C003 and C099 are customers there
  { args: ['campaigns', 'list'], stdout: 'data', code: 0 },
  { args: ['campaigns', 'show', '1'], stdout: 'data', code: 0 },
  { args: ['campaigns', 'unmatched'], stdout: 'data', code: 0 },
  { args: ['campaigns', 'settings', '--soft-bounces', '2'], stdout: 'data', code: 0 },
  { args: ['campaigns', 'not-sent', '1', '--reason', 'looked only'], stdout: 'nothing', code: 0 },
  { args: ['campaigns', 'not-sent', '1', '--undo'], stdout: 'nothing', code: 0 },
  { args: ['export', '--preview', '--out', 'look.csv'], stdout: 'nothing', code: 0 },
  { args: ['contact', 'show', 'UID1'], stdout: 'data', code: 0 },
  { args: ['contact', 'find', '--name', 'dupont'], stdout: 'data', code: 0 },
  { args: ['contact', 'set', 'UID1', 'city=Paris'], stdout: 'nothing', code: 0 },
  { args: ['contact', 'tag', 'UID1', 'vip'], stdout: 'nothing', code: 0 },
  { args: ['contact', 'untag', '--where', "tag = 'vip'", 'vip'], stdout: 'nothing', code: 0 },
  { args: ['gdpr', 'consent', 'UID1', '--channel', 'post', '--grant', '--source', 'paper form'], stdout: 'nothing', code: 0 },
  { args: ['gdpr', 'access', 'UID1', '--out', 'person.json'], stdout: 'nothing', code: 0 },
  { args: ['gdpr', 'erase', 'UID2', '--reason', 'ticket 4711'], stdout: 'nothing', code: 0 },
  { args: ['gdpr', 'purge', '--as-of', '2029-12-31', '--dry-run'], stdout: 'nothing', code: 3 }, // customers of 2024-2025 are past 3 years then
  { args: ['audit'], stdout: 'data', code: 0 },
  { args: ['report', '--as-of', '2025-12-31'], stdout: 'data', code: 0 },
  { args: ['report', '--html', 'report.html'], stdout: 'nothing', code: 0 },
  { args: ['run', 'nightly.yaml'], stdout: 'nothing', code: 0 },
  { args: ['run', 'nightly.yaml', '--dry-run'], stdout: 'nothing', code: 0 },
  { args: ['runs'], stdout: 'data', code: 0 },
];

let workspace: ExampleWorkspace;

beforeAll(async () => {
  workspace = await buildExampleWorkspace();
}, 120_000);

describe('-q', () => {
  it('every command is run by this test', () => {
    const covered = new Set(QUIET.map((q) => q.args.filter((a) => /^[a-z]/.test(a)).slice(0, 2).join(' ')));
    expect(leaves.filter((p) => ![...covered].some((c) => c === p || c.startsWith(`${p} `)))).toEqual([]);
  });

  it('leaves stderr empty and stdout holding only the data asked for, in every command', () => {
    const copy = copyWorkspace(workspace);
    const problems: string[] = [];
    for (const { args, stdout, code, env } of QUIET) {
      const filled = args.map((a) => (a === 'UID1' ? copy.uids[0] : a === 'UID2' ? copy.uids[1] : a));
      const result = custkit(['-q', ...filled], { cwd: copy.dir, env });
      const label = `custkit -q ${args.join(' ')}`;
      if (result.code !== code) problems.push(`${label}: exit ${result.code}, expected ${code}\n${result.stderr}`);
      if (result.stderr !== '') problems.push(`${label}: stderr not empty:\n${result.stderr.slice(0, 400)}`);
      if (stdout === 'nothing' && result.stdout !== '') problems.push(`${label}: stdout not empty:\n${result.stdout.slice(0, 400)}`);
      if (stdout === 'data' && result.stdout.trim() === '') problems.push(`${label}: the data asked for is missing`);
    }
    expect(problems.join('\n\n')).toBe('');
  }, 300_000);

  it('keeps --json output, which is data asked for', () => {
    const copy = copyWorkspace(workspace);
    const result = custkit(['-q', '--json', 'dedupe'], { cwd: copy.dir });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toHaveProperty('clusters');
  });

  it('keeps errors', () => {
    const copy = copyWorkspace(workspace);
    const result = custkit(['-q', 'unmerge', '999'], { cwd: copy.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: .*999/);
  });
});

describe('a dry run', () => {
  // Each pair: the dry run and the real run it previews, on copies of one store.
  // Each case: the dry run, the real run it previews (on copies of one store), and the code of both.
  const PAIRS: Array<[string[], string[], number]> = [
    [['clean'], ['clean', '--fix'], 0],
    [['clean', '--inactive-since', '1y', '--as-of', '2026-01-01'], ['clean', '--fix', '--inactive-since', '1y', '--as-of', '2026-01-01'], 0],
    [['dedupe'], ['dedupe', '--apply'], 0],
    // The three partners share a switchboard number: that block is over --max-block, skipped with a
    // warning, and the run says so with exit 3 whether it merges or not.
    [['dedupe', '--max-block', '2'], ['dedupe', '--apply', '--max-block', '2'], 3],
    [['gdpr', 'erase', 'chloe.lefevre@free.fr', '--reason', 'ticket 4711', '--dry-run'], ['gdpr', 'erase', 'chloe.lefevre@free.fr', '--reason', 'ticket 4711'], 0],
    [['gdpr', 'purge', '--as-of', '2029-12-31', '--dry-run'], ['gdpr', 'purge', '--as-of', '2029-12-31'], 3],
    [['gdpr', 'purge', '--as-of', '2020-01-01', '--dry-run'], ['gdpr', 'purge', '--as-of', '2020-01-01'], 0],
    [['run', 'nightly.yaml', '--dry-run'], ['run', 'nightly.yaml'], 0],
  ];

  it.each(PAIRS.map(([dry, real, code]) => [dry.join(' '), dry, real, code] as const))('custkit %s exits with the code of the real run', (_label, dry, real, code) => {
    const dryRun = custkit(dry, { cwd: copyWorkspace(workspace).dir });
    const realRun = custkit(real, { cwd: copyWorkspace(workspace).dir });
    expect(dryRun.code).toBe(code);
    expect(realRun.code).toBe(code);
  });
});
