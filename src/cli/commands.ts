import type { Command } from 'commander';
import type { Wrap } from './main.js';

export type Register = (program: Command, wrap: Wrap) => void;

/**
 * One command of the table: what the top-level help shows without loading it, and how to load it.
 * Loading a command module pulls in its stage (and some of them exceljs, SQLite helpers, workers…):
 * 0.65 s for all of them on every run, so main.ts loads only the module of the command being run.
 */
export interface CommandEntry {
  name: string;
  /** The command as the top-level help lists it; test/cli/commands.test.ts checks it against the module. */
  term: string;
  /** One line for the top-level help; the module's own description is the full one. */
  summary: string;
  load: () => Promise<Register>;
}

/** Every command, in the order of the top-level help: a new command adds one entry here. */
export const commands: CommandEntry[] = [
  { name: 'import', term: 'import [options] <files...>', summary: 'read CSV/TSV/XLSX exports of contacts or purchases into the store (creates it)',
    load: async () => (await import('./import.js')).registerImport },
  { name: 'rejects', term: 'rejects [options]', summary: 'the rows an import could not read, to fix and re-import',
    load: async () => (await import('./rejects.js')).registerRejects },
  { name: 'db', term: 'db', summary: 'the store file: counts, imports, schema migrations',
    load: async () => (await import('./db.js')).registerDb },
  { name: 'validate', term: 'validate [options]', summary: 'per-field health of the contacts and who is reachable; changes nothing',
    load: async () => (await import('./validate.js')).registerValidate },
  { name: 'clean', term: 'clean [options]', summary: 'normalise fields, fix email typos, flag inactive contacts (dry run without --fix)',
    load: async () => (await import('./clean.js')).registerClean },
  { name: 'score', term: 'score [options]', summary: 'RFM / RFMCCA scores and segments as of a date, lifetime value',
    load: async () => (await import('./score.js')).registerScore },
  { name: 'segments', term: 'segments [options]', summary: 'a scoring run by segment, and who moved between runs',
    load: async () => (await import('./segments.js')).registerSegments },
  { name: 'affinities', term: 'affinities [options]', summary: 'categories bought together (support, confidence, lift)',
    load: async () => (await import('./affinities.js')).registerAffinities },
  { name: 'dedupe', term: 'dedupe [options]', summary: 'find the same person across records; merge with --apply (dry run without)',
    load: async () => (await import('./dedupe.js')).registerDedupe },
  { name: 'explain', term: 'explain [options] <contact1> <contact2>', summary: 'why two contacts match, or do not, field by field',
    load: async () => (await import('./explain.js')).registerExplain },
  { name: 'unmerge', term: 'unmerge [options] [merge_id]', summary: 'undo a merge made by dedupe --apply',
    load: async () => (await import('./unmerge.js')).registerUnmerge },
  { name: 'merges', term: 'merges [options]', summary: 'list the merges made: survivor, members, probability, rule or review', load: async () => (await import('./merges.js')).registerMerges },
  { name: 'export', term: 'export [options]', summary: 'the list of people to contact, for a mailing tool or a spreadsheet',
    load: async () => (await import('./export.js')).registerExport },
  { name: 'exports', term: 'exports [options]', summary: 'what was exported, when, by whom, how many rows',
    load: async () => (await import('./exports.js')).registerExports },
  { name: 'suppress', term: 'suppress [options] [address]', summary: 'people never to contact again (unsubscribed, bounced, opposition)',
    load: async () => (await import('./suppress.js')).registerSuppress },
  { name: 'seeds', term: 'seeds', summary: 'trap addresses for lists handed to third parties',
    load: async () => (await import('./seeds.js')).registerSeeds },
  { name: 'contact', term: 'contact', summary: 'look a person up, correct their data, tag people (audited)',
    load: async () => (await import('./contact.js')).registerContact },
  { name: 'gdpr', term: 'gdpr', summary: "people's rights: consent choices, access to every row about them",
    load: async () => (await import('./gdpr.js')).registerGdpr },
  { name: 'audit', term: 'audit [options]', summary: 'who changed what and when, without personal data',
    load: async () => (await import('./audit.js')).registerAudit },
  { name: 'mappings', term: 'mappings [options]', summary: 'the --map remembered per import source; forget them',
    load: async () => (await import('./mappings.js')).registerMappings },
  { name: 'report', term: 'report [options]', summary: 'weekly KPIs: terminal summary, --json, or one HTML file with charts (--html)',
    load: async () => (await import('./report.js')).registerReport },
  { name: 'run', term: 'run [options] <pipeline>', summary: 'a pipeline file of steps (import, clean, dedupe, score, export, report) with a lock and a log',
    load: async () => (await import('./run.js')).registerRun },
  { name: 'runs', term: 'runs [options]', summary: 'the pipeline runs of this store: when, status, exit code, steps',
    load: async () => (await import('./runs.js')).registerRuns },
];
