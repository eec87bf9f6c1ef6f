import type { Command } from 'commander';
import Table from 'cli-table3';
import { applyDecisions } from '../dedupe/decisions.js';
import { DEFAULT_CHAIN_THRESHOLD, DEFAULT_MAX_BLOCK, DEFAULT_THRESHOLD, MIN_FIT_CONTACTS, findDuplicates, type FindResult } from '../dedupe/find.js';
import { applyPlanBatches, MergeError } from '../dedupe/merge.js';
import { loadedPlanBatches, planClusters, type ClusterPlan } from '../dedupe/plan.js';
import { DECISIONS, readDecisions, ReviewFileError, writeReview } from '../dedupe/review.js';
import { defaultBudget, PAIRS_PER_CONTACT } from '../dedupe/rule-choice.js';
import { sqlCondition } from '../dedupe/blocking.js';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import type { Wrap } from './main.js';
import { addOutputFlags, delimiterOf, type OutputFlags } from './output-flags.js';
import { checkTableFile, TableFileError } from '../export/table-file.js';
import { backupFirst } from './auto-backup.js';
import { capHeapGrowth } from './heap.js';

const EXAMPLES = `
Examples:
  # What would merge? Merges nothing.
  custkit dedupe

  # Estimate the model on this store (EM), keep it for later runs, and show the result
  custkit dedupe --train

  # Stricter: only pairs at 99 % or more
  custkit dedupe --threshold 0.99

  # Write the clusters for a person to check, then apply exactly what they decided
  custkit dedupe --review review.xlsx
  custkit dedupe --apply --decisions review.xlsx

  # The review as a CSV for Excel on Windows (semicolons, UTF-8 with a BOM)
  custkit dedupe --review review.csv --delimiter ";" --bom

  # Merge every cluster now (survivorship rules apply; undo with "custkit unmerge")
  custkit dedupe --apply

  # After a new import: compare only the new contacts with the rest
  custkit dedupe --new --apply

  # Compare more pairs than the default budget (5 per contact) on a file with few fields
  custkit dedupe --max-pairs 2000000

  # Every merge made, and what one contact became
  custkit merges --since 2026-11-01
  custkit explain chloe.lefevre@free.fr UID2

The "decision" column of a review file accepts (any case; empty = undecided, left as it is):
  merge:      ${Object.entries(DECISIONS).filter(([, d]) => d === 'merge').map(([k]) => k).join(', ')}
  keep apart: ${Object.entries(DECISIONS).filter(([, d]) => d === 'keep apart').map(([k]) => k).join(', ')}
`;

interface DedupeOptions extends OutputFlags {
  threshold?: string;
  chainThreshold?: string;
  maxBlock?: string;
  maxPairs?: string;
  review?: string;
  apply?: boolean;
  /** false with --no-backup. */
  backup?: boolean;
  decisions?: string;
  train?: boolean;
  new?: boolean;
  examples?: string;
}

function probabilityOption(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const p = Number(value);
  if (!Number.isFinite(p) || p <= 0 || p >= 1) throw new UsageError(`${flag} must be a probability between 0 and 1 (exclusive), got "${value}"`);
  return p;
}

function integerOption(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new UsageError(`${flag} must be a whole number of at least 2, got "${value}"`);
  return n;
}

export function registerDedupe(program: Command, wrap: Wrap): void {
  const command = program
    .command('dedupe')
    .description(
      'Find contacts that are the same person (blocking, per-field comparison, Fellegi-Sunter match probability, ' +
        'clustering). Without --apply it is a dry run: it prints candidate pairs, matches, clusters and a few ' +
        'examples; it merges nothing (it only brings validate\'s columns and dedupe\'s keys up to date).',
    )
    .addHelpText('after', EXAMPLES)
    .option('--threshold <p>', `match probability at which two contacts are the same person (default ${DEFAULT_THRESHOLD})`)
    .option('--chain-threshold <p>', `every cluster member must reach this against the cluster's best record (default ${DEFAULT_CHAIN_THRESHOLD})`)
    .option('--max-block <n>', `skip blocks larger than this, with a warning (default ${DEFAULT_MAX_BLOCK})`)
    .option('--max-pairs <n>', `pair budget for the blocking rules chosen from the data (default ${PAIRS_PER_CONTACT} per contact, at least ${defaultBudget(0).toLocaleString('en')})`)
    .option('--review <file>', 'write the clusters to FILE (.csv or .xlsx) with a "decision" column to edit')
    .option('--apply', 'merge: every cluster, or with --decisions exactly the reviewed decisions')
    .option('--decisions <file>', 'with --apply: the edited review file')
    .option('--train', 'estimate the model (m by EM, u from random pairs) on this store and keep it')
    .option('--new', 'compare only contacts added since the last applied run with the rest')
    .option('--examples <n>', 'how many example clusters the dry run prints', '5');
  command.option('--no-backup', 'with --apply: do not take the automatic backup of the store first (see "custkit db backups")');
  // The review file follows the rule of every file for people (docs/export.md): created 0600, streamed.
  addOutputFlags(command, 'UTF-8, ","')
    .action(wrap(async (ctx: CommandContext, options: DedupeOptions) => dedupe(ctx, options)));
}

async function dedupe(ctx: CommandContext, options: DedupeOptions): Promise<number> {
  const threshold = probabilityOption(options.threshold, '--threshold', DEFAULT_THRESHOLD);
  const chainThreshold = probabilityOption(options.chainThreshold, '--chain-threshold', Math.min(DEFAULT_CHAIN_THRESHOLD, threshold));
  const maxBlock = integerOption(options.maxBlock, '--max-block', DEFAULT_MAX_BLOCK);
  const maxPairs = options.maxPairs === undefined ? undefined : integerOption(options.maxPairs, '--max-pairs', 0);
  const examples = Number(options.examples ?? 5);
  if (!Number.isInteger(examples) || examples < 0) throw new UsageError(`--examples must be a whole number, got "${options.examples}"`);
  if (options.decisions && !options.apply) throw new UsageError('--decisions needs --apply (a dry run never changes contacts)');
  if (options.decisions && (options.review || options.train || options.new)) {
    throw new UsageError('--apply --decisions applies a reviewed file as it is: it cannot be combined with --review, --train or --new');
  }
  if (options.review && options.apply) throw new UsageError('--review writes a file to check before applying: run it without --apply');
  if (options.review && !/\.(csv|xlsx)$/i.test(options.review)) throw new UsageError(`--review ${options.review}: the file must end in .csv or .xlsx`);
  if (!options.review && (options.delimiter !== undefined || options.encoding !== undefined || options.bom)) throw new UsageError('--delimiter, --encoding and --bom shape the file of --review: give --review FILE');
  const reviewOutput = { delimiter: delimiterOf(options.delimiter), encoding: options.encoding, bom: options.bom };
  if (options.review) {
    try {
      checkTableFile({ out: options.review, stdout: ctx.streams.stdout, delimiter: reviewOutput.delimiter ?? ',', encoding: reviewOutput.encoding ?? 'utf8', bom: reviewOutput.bom === true });
    } catch (error) {
      if (error instanceof TableFileError) throw new UsageError(error.message);
      throw error;
    }
  }

  // The records of every contact stay live while the clusters are planned and merged: the heap must
  // not grow to several times that before V8 collects (heap.ts). A dry run plans a few examples only.
  if (options.apply || options.review) capHeapGrowth();
  const db = ctx.openDb({ mustExist: true });
  try {
    if (options.apply) backupFirst(ctx, db, 'dedupe --apply', options.backup);
    if (options.apply && options.decisions) return await applyReviewed(ctx, db, options.decisions);
    const result = findDuplicates(db, { threshold, chainThreshold, maxBlock, maxPairs, onlyNew: options.new, train: options.train });
    // A dry run prints counts and a few examples, so only those clusters are planned: reading and
    // scoring every member of 127,000 clusters took 13 s and 1.2 GB at a million contacts.
    const planning = performance.now();
    // --apply plans the clusters batch by batch as it merges them (applyPlanBatches): here only the examples.
    const plans = planClusters(db, options.review ? result.clusters : result.clusters.slice(0, examples), result.score);
    result.timings.planning = Math.round(performance.now() - planning);
    for (const s of result.blocking.skipped.slice(0, 10)) {
      ctx.warn(`blocking rule "${s.rule}": block "${s.key}" has ${s.size} contacts, over --max-block ${maxBlock}; skipped`);
    }
    if (result.blocking.skipped.length > 10) ctx.warn(`${result.blocking.skipped.length - 10} more blocks skipped`);
    let reviewRows: number | undefined;
    if (options.review) reviewRows = await writeReview(options.review, plans, reviewOutput);
    const applying = performance.now();
    const merges = options.apply ? applyPlanBatches(db, loadedPlanBatches(db, result.clusters, result.score), { mode: 'apply', threshold }) : [];
    if (options.apply) result.timings.apply = Math.round(performance.now() - applying);
    const summary = summarise(result, plans, threshold, examples);
    if (ctx.json) {
      ctx.printJson({ ...summary, review: options.review ? { file: options.review, rows: reviewRows } : undefined,
        merges: options.apply ? merges.map((m) => ({ merge_id: m.mergeId, survivor_uid: m.survivorUid, merged: m.merged.length })) : undefined });
    } else {
      printSummary(ctx, summary);
      if (options.review) ctx.info(`review file written: ${options.review} (${reviewRows} rows; edit "decision", then: custkit dedupe --apply --decisions ${options.review})`);
      if (options.apply) {
        const merged = merges.reduce((s, m) => s + m.merged.length, 0);
        const ids = merges.length === 1 ? `merge id ${merges[0].mergeId}` : `merge ids ${merges[0]?.mergeId}..${merges[merges.length - 1]?.mergeId}`;
        ctx.report(merges.length === 0
          ? 'applied: nothing to merge (no cluster reached the threshold)'
          : `applied: ${merges.length} merge${merges.length === 1 ? '' : 's'}, ${merged} contacts merged into ${merges.length} survivor${merges.length === 1 ? '' : 's'} (${ids}; list them with "custkit merges", undo with "custkit unmerge ID")`);
      }
    }
    return result.blocking.skipped.length > 0 ? ExitCode.Partial : ExitCode.Ok;
  } catch (error) {
    if (error instanceof MergeError || error instanceof ReviewFileError) throw new CliError(`${error.message}; nothing was changed`, ExitCode.Failed);
    throw error;
  } finally {
    db.close();
  }
}

async function applyReviewed(ctx: CommandContext, db: ReturnType<CommandContext['openDb']>, file: string): Promise<number> {
  const rows = await readDecisions(file);
  const outcome = applyDecisions(db, file, rows);
  const merged = outcome.merges.reduce((s, m) => s + m.merged.length, 0);
  if (ctx.json) {
    ctx.printJson({ merges: outcome.merges.map((m) => ({ merge_id: m.mergeId, survivor_uid: m.survivorUid, merged: m.merged.length })), kept_apart: outcome.keptApart, undecided: outcome.undecided });
  } else {
    ctx.report(`applied ${file}: ${outcome.merges.length} merges (${merged} contacts merged), ${outcome.keptApart} pairs kept apart, ${outcome.undecided} rows undecided`);
  }
  return ExitCode.Ok;
}

function summarise(result: FindResult, plans: ClusterPlan[], threshold: number, examples: number) {
  const pairMs = (result.timings['blocking + comparison'] ?? 0) + (result.timings.scoring ?? 0);
  const pairsPerSecond = pairMs > 0 ? Math.round((result.blocking.pairs / pairMs) * 1000) : null;
  return {
    contacts: result.contacts,
    validated: result.validated,
    threshold,
    model: result.training?.reason === 'asked (--train)' ? 'trained now (--train)' : result.training ? 'fitted to this store now'
      : result.model.trained ? 'trained' : `default (under ${MIN_FIT_CONTACTS.toLocaleString('en')} contacts none is fitted unasked; "custkit dedupe --train" fits one)`,
    training: result.training ? { model_id: result.training.modelId, reason: result.training.reason, fields: result.training.fields, rules: result.training.rules, match_share: result.training.matchShare } : undefined,
    candidate_pairs: result.blocking.pairs,
    pairs_per_rule: Object.fromEntries(result.blocking.perRule.map((r) => [r.rule, r.pairs])),
    blocking: {
      pair_budget: result.rules.budget,
      expected_recall: Number(result.rules.expectedRecall.toFixed(4)),
      chosen: result.rules.chosen.map((c, i) => ({ rule: c.rule.name, sql: sqlCondition(c.rule), pairs: c.pairs, new_pairs: result.blocking.perRule[i]?.pairs ?? 0, expected_gain: Number(c.gain.toFixed(4)) })),
      left_out: result.rules.leftOut.map((l) => ({ rule: l.rule, pairs: l.pairs, why: l.why, reason: l.reason })),
    },
    skipped_blocks: result.blocking.skipped.length,
    matches: result.matches,
    clusters: result.clusters.length,
    // Every member but the survivor (as planning counts them; a dry run plans only the examples).
    contacts_that_would_merge: result.clusters.reduce((s, c) => s + c.members.length - 1, 0),
    pairs_per_second: pairsPerSecond,
    timings_ms: result.timings,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    examples: plans.slice(0, examples).map((p) => ({ cluster: p.cluster, survivor_uid: String(p.survivor.uid), members: p.members.map((m) => ({ uid: String(m.row.uid), probability: Number(m.score.probability.toFixed(4)), agree: m.score.evidence.filter((e) => e.level !== 'missing' && e.weight > 0).map((e) => `${e.field}: ${e.level}`) })) })),
  };
}

function printSummary(ctx: CommandContext, s: ReturnType<typeof summarise>): void {
  ctx.report(`contacts compared:        ${s.contacts.toLocaleString('en')}`);
  ctx.report(`model:                    ${s.model}`);
  if (s.training) {
    ctx.report(`fitted to this store:     model ${s.training.model_id}, because ${s.training.reason} (fields: ${s.training.fields?.replaceAll(',', ', ')}); ` +
      `u from random pairs, m by EM on ${s.training.rules.length} blocking rules; ${(s.training.match_share * 100).toFixed(1)} % of candidate pairs estimated to be matches; kept for later runs`);
  }
  ctx.report(`blocking rules (chosen from the data, budget ${s.blocking.pair_budget.toLocaleString('en')} pairs, ~${(s.blocking.expected_recall * 100).toFixed(1)} % of duplicates expected within reach):`);
  for (const c of s.blocking.chosen) ctx.report(`  + ${c.rule.padEnd(44)} ${c.pairs.toLocaleString('en').padStart(12)} pairs (${c.new_pairs.toLocaleString('en')} new)`);
  // Rules left out because the chosen ones already bring (nearly) all their pairs are counted, not listed:
  // only those the budget or their cost kept out are worth a user's attention (--json lists every one).
  for (const l of s.blocking.left_out.filter((x) => x.why === 'over budget' || x.why === 'costly')) ctx.report(`  - ${l.rule.padEnd(44)} ${l.pairs.toLocaleString('en').padStart(12)} pairs: ${l.reason}`);
  const redundant = s.blocking.left_out.filter((x) => x.why === 'redundant').length;
  if (redundant > 0) ctx.report(`  (${redundant} more rules left out: the chosen ones already bring all or nearly all of their pairs; --json lists them)`);
  const none = s.blocking.left_out.filter((x) => x.why === 'no pairs').length;
  if (none > 0) ctx.report(`  (${none} more rules produce no pair on this store: their fields are missing or never shared)`);
  ctx.report(`candidate pairs:          ${s.candidate_pairs.toLocaleString('en')}`);
  ctx.report(`matches (p >= ${s.threshold}):     ${s.matches.toLocaleString('en')}`);
  ctx.report(`clusters:                 ${s.clusters.toLocaleString('en')}`);
  ctx.report(`contacts that would merge: ${s.contacts_that_would_merge.toLocaleString('en')}`);
  if (s.examples.length === 0) return;
  const table = new Table({ head: ['cluster', 'survivor uid', 'uid', 'p', 'fields that agree'], style: { head: [], border: [] }, wordWrap: true, colWidths: [9, 38, 38, 8, 60] });
  for (const e of s.examples) for (const m of e.members) table.push([e.cluster, e.survivor_uid, m.uid, m.probability.toFixed(3), m.agree.join(', ')]);
  ctx.report(table.toString());
}
