import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { integer, money, percent, table } from './format.js';
import { BinningError, loadThresholds, type Binning, type Bins } from '../score/binning.js';
import { ClvFitError, parseHorizon, type ClvModel } from '../score/clv/clv.js';
import type { FitReport } from '../score/clv/fit.js';
import { clvHoldout, parseSpan, type HoldoutSpan } from '../score/clv/holdout.js';
import type { Db } from '../store/db.js';
import type { CommandContext as Context } from './context.js';
import { defaultSegmentMap, loadSegmentMap, SegmentMapError } from '../score/segment-map.js';
import { scoreRun, type Method } from '../score/run.js';

const EXAMPLES = `
Examples:
  # RFM as of today, 5 bins by value quantiles, the default 10-segment map
  custkit score

  # As of a past date (purchases after it are ignored): a backfill for history
  custkit score --as-of 2024-12-31

  # RFMCCA: adds category breadth, main category, channels, next-best category
  custkit score --method rfmcca --min-support 0.02

  # Quartiles with PyMC-Marketing's segment lists, or your own map / cut points
  custkit score --bins 4 --segments pymc-quartiles
  custkit score --segments my-segments.json --binning thresholds --thresholds cuts.json

  # Customer lifetime value over 12 months, 1 % discount per month, JSON summary for cron
  custkit score --clv --horizon 12m --discount 0.01 --json

  # How accurate is it here? Fit on all but the last 6 months, predict them, compare (writes nothing)
  custkit score --clv --holdout 6m --as-of 2025-06-30

  # Small or erratic histories: an L2 penalty keeps the parameters moderate (lifetimes' penalizer_coef)
  custkit score --clv --penalizer 0.001

Scoring the same as-of date with the same method again replaces that run.
Presets for --segments: rfm10 (default, 5 bins), rfm-package (5 bins), pymc-quartiles (default, 4 bins).
`;

interface ScoreFlags {
  asOf?: string;
  method: string;
  bins: string;
  binning: string;
  thresholds?: string;
  segments?: string;
  minSupport: string;
  clv?: boolean;
  horizon: string;
  discount: string;
  penalizer: string;
  holdout?: string;
}

export function registerScore(program: Command, wrap: Wrap): void {
  program
    .command('score')
    .description(
      'Score every customer as of a date: recency (days since the last order), frequency (orders), monetary ' +
        '(net of returns), R/F/M scores and a named segment; RFMCCA adds categories, channels and affinities; ' +
        '--clv fits BG/NBD + Gamma-Gamma and adds P(alive), expected purchases and lifetime value; --clv --holdout ' +
        'checks its accuracy on the last months of history. Contacts without a purchase are "prospect", contacts ' +
        'whose purchases net to zero or below (returns only) "no net purchase"; merged and erased contacts are not scored.',
    )
    .addHelpText('after', EXAMPLES)
    .option('--as-of <date>', 'score as of this date, yyyy-mm-dd (default: today)')
    .option('--method <method>', 'rfm | rfmcca', 'rfm')
    .option('--bins <n>', '5 | 4 score levels', '5')
    .option('--binning <how>', 'quantile | ntile | thresholds', 'quantile')
    .option('--thresholds <file>', 'JSON cut points for --binning thresholds')
    .option('--segments <map>', 'segment map: a preset name or a JSON file')
    .option('--min-support <share>', 'RFMCCA affinity rules: minimum share of customers', '0.01')
    .option('--clv', 'also fit BG/NBD + Gamma-Gamma and compute lifetime value')
    .option('--horizon <span>', 'CLV horizon: 12m, 52w, 1y, 90d', '12m')
    .option('--discount <rate>', 'CLV discount rate per month', '0.01')
    .option('--penalizer <coef>', "CLV: L2 penalty on the model parameters, as lifetimes' penalizer_coef (0 = plain maximum likelihood)", '0')
    .option('--holdout <span>', 'CLV accuracy check: fit on the history before the last SPAN (e.g. 6m, 39w), predict purchases in it, compare; writes nothing')
    .action(
      wrap((ctx, flags: ScoreFlags) => {
        const options = parseFlags(flags);
        const db = ctx.openDb({ mustExist: true });
        try {
          if (options.holdout) return holdoutCheck(ctx, db, options.asOf, options.holdout, options.clv?.penalizer ?? 0);
          let result;
          try {
            result = scoreRun(db, options);
          } catch (error) {
            if (error instanceof ClvFitError) throw new CliError(`${error.message} (store unchanged)`, ExitCode.Failed);
            throw error;
          }
          for (const warning of result.clv?.warnings ?? []) ctx.warn(warning);
          if (ctx.json) {
            ctx.printJson(result);
            return ExitCode.Ok;
          }
          ctx.info(
            `run ${result.runId} (${result.replaced ? 'replaced' : 'new'}): ${result.method} as of ${result.asOf}, ` +
              `${integer(result.customers)} customers, ${integer(result.prospects)} prospects` +
              `${result.noNetPurchase ? `, ${integer(result.noNetPurchase)} with no net purchase (returns or refunds only)` : ''}, map ${result.segmentMap}`,
          );
          const total = result.customers + result.prospects + result.noNetPurchase;
          ctx.report(table(['segment', 'contacts', 'share'], result.segments.map((s) => [s.segment, integer(s.customers), percent(total ? s.customers / total : 0)])));
          if (result.affinities) {
            ctx.info(`affinities: ${result.affinities.rules} rules, next-best category for ${integer(result.affinities.withNextBest)} customers`);
          }
          if (result.clv) printClv(ctx, result.clv);
          return ExitCode.Ok;
        } finally {
          db.close();
        }
      }),
    );
}

function parseFlags(flags: ScoreFlags) {
  const asOf = flags.asOf ?? today();
  if (!isIsoDate(asOf)) throw new UsageError(`--as-of ${flags.asOf}: expected a date as yyyy-mm-dd`);
  if (flags.method !== 'rfm' && flags.method !== 'rfmcca') throw new UsageError(`--method ${flags.method}: expected rfm or rfmcca`);
  if (flags.bins !== '4' && flags.bins !== '5') throw new UsageError(`--bins ${flags.bins}: expected 5 or 4`);
  const bins = Number(flags.bins) as Bins;
  if (!['quantile', 'ntile', 'thresholds'].includes(flags.binning)) throw new UsageError(`--binning ${flags.binning}: expected quantile, ntile or thresholds`);
  const binning = flags.binning as Binning;
  if (binning === 'thresholds' && !flags.thresholds) throw new UsageError('--binning thresholds needs --thresholds FILE');
  if (binning !== 'thresholds' && flags.thresholds) throw new UsageError('--thresholds FILE goes with --binning thresholds');
  const minSupport = Number(flags.minSupport);
  if (!(minSupport > 0 && minSupport <= 1)) throw new UsageError(`--min-support ${flags.minSupport}: expected a share in (0, 1], e.g. 0.01`);
  let thresholds;
  let segmentMap;
  try {
    thresholds = flags.thresholds ? loadThresholds(flags.thresholds, bins) : undefined;
    segmentMap = flags.segments ? loadSegmentMap(flags.segments) : defaultSegmentMap(bins);
  } catch (error) {
    if (error instanceof BinningError || error instanceof SegmentMapError) throw new UsageError(error.message);
    throw error;
  }
  if (segmentMap.bins !== bins) throw new UsageError(`--segments ${flags.segments}: this map is for ${segmentMap.bins} bins, the run uses --bins ${bins}`);
  let clv;
  let holdout: HoldoutSpan | undefined;
  if (flags.clv) {
    const horizonMonths = parseHorizon(flags.horizon);
    if (horizonMonths === null) throw new UsageError(`--horizon ${flags.horizon}: expected e.g. 12m, 52w, 1y or 90d (up to 10 years)`);
    const discountMonthly = Number(flags.discount);
    if (!(discountMonthly >= 0 && discountMonthly < 1)) throw new UsageError(`--discount ${flags.discount}: expected a monthly rate in [0, 1), e.g. 0.01`);
    const penalizer = Number(flags.penalizer);
    if (!(flags.penalizer.trim() !== '' && penalizer >= 0 && penalizer <= 100)) throw new UsageError(`--penalizer ${flags.penalizer}: expected a number >= 0, e.g. 0 or 0.001`);
    clv = { horizonMonths, discountMonthly, penalizer };
    if (flags.holdout !== undefined) {
      holdout = parseSpan(flags.holdout) ?? undefined;
      if (!holdout) throw new UsageError(`--holdout ${flags.holdout}: expected a span such as 6m, 1y, 39w or 90d`);
    }
  } else if (flags.penalizer !== '0' || flags.holdout !== undefined) {
    throw new UsageError(`${flags.holdout !== undefined ? '--holdout' : '--penalizer'} goes with --clv`);
  }
  return {
    asOf,
    method: flags.method as Method,
    bins,
    binning,
    thresholds,
    segmentMap,
    segmentMapLabel: flags.segments ?? segmentMap.name,
    clv,
    minSupport,
    holdout,
  };
}

export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const d = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return d.getUTCFullYear() === Number(match[1]) && d.getUTCMonth() === Number(match[2]) - 1 && d.getUTCDate() === Number(match[3]);
}

/** Today's date on this machine's clock (cron runs in local time). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function fitLine(f: FitReport<object>): string {
  if (f.iterations === 0) return f.model;
  const params = Object.entries(f.params).map(([k, v]) => `${k}=${(v as number).toPrecision(4)}`).join(' ');
  return (
    `${f.model}: ${params}; log-likelihood ${f.logLikelihood.toFixed(2)}, ${f.iterations} iterations, gradient norm ` +
    `${f.gradientNorm.toExponential(1)}, ${f.startsAgreeing}/${f.starts} starts agree${f.penalizer ? `, penalizer ${f.penalizer}` : ''}`
  );
}

function printModel(ctx: Context, clv: Pick<ClvModel, 'purchaseModel' | 'fullBgNbd' | 'spendModel'>): void {
  if (clv.fullBgNbd) ctx.info(`CLV fit ${fitLine(clv.fullBgNbd)} (at its limit: not used)`);
  ctx.info(`CLV fit ${fitLine(clv.purchaseModel)}`);
  const s = clv.spendModel;
  ctx.info(`CLV fit ${fitLine(s)}; ${integer(s.repeatCustomers)} repeat customers${s.used === 'Gamma-Gamma' ? '' : ' (not used: observed mean spend)'}`);
  const r = s.frequencySpendCorrelation;
  ctx.info(`Gamma-Gamma assumption: correlation of frequency and mean spend ${r === null ? 'undefined (too few or identical values)' : r.toFixed(3)} (should be near 0)`);
}

function printClv(ctx: Context, clv: ClvModel): void {
  printModel(ctx, clv);
  ctx.info(`CLV over ${clv.horizonMonths.toFixed(1)} months (discount ${clv.discountMonthly} per month): total ${money(clv.totalClvMinor)} for ${integer(clv.customers)} customers`);
}

/** score --clv --holdout: the calibration/holdout check, printed; the store is not written. */
function holdoutCheck(ctx: Context, db: Db, asOf: string, span: HoldoutSpan, penalizer: number): ExitCode {
  let result;
  try {
    result = clvHoldout(db, asOf, span, penalizer);
  } catch (error) {
    if (error instanceof ClvFitError) throw new CliError(`${error.message} (holdout check, store unchanged)`, ExitCode.Failed);
    throw error;
  }
  for (const warning of result.model.warnings) ctx.warn(warning);
  if (ctx.json) {
    ctx.printJson(result);
    return ExitCode.Ok;
  }
  ctx.info(
    `holdout check: fitted on purchases up to ${result.calibrationEnd} (${integer(result.customers)} customers), ` +
      `predicting ${result.calibrationEnd} < day <= ${result.asOf} (${result.holdoutWeeks.toFixed(1)} weeks); the store is not written`,
  );
  printModel(ctx, result.model);
  const fixed = (v: number) => v.toFixed(3);
  ctx.out(
    table(
      ['repeat days before', 'customers', 'actual (mean)', 'predicted (mean)', 'actual (total)', 'predicted (total)'],
      [
        ...result.groups.map((g) => [g.frequency, integer(g.customers), fixed(g.actualMean), fixed(g.predictedMean), integer(g.actualPurchases), g.predictedPurchases.toFixed(1)]),
        [
          'all',
          integer(result.customers),
          fixed(result.overall.actualPurchases / result.customers),
          fixed(result.overall.predictedPurchases / result.customers),
          integer(result.overall.actualPurchases),
          result.overall.predictedPurchases.toFixed(1),
        ],
      ],
    ),
  );
  const e = result.overall.relativeError;
  ctx.info(
    `purchase days in the holdout: predicted ${result.overall.predictedPurchases.toFixed(1)}, actual ${integer(result.overall.actualPurchases)}` +
      `${e === null ? '' : ` (${e >= 0 ? '+' : ''}${(100 * e).toFixed(1)} %)`}; spend: predicted ${money(Math.round(result.overall.predictedSpend * 100))}, ` +
      `actual ${money(Math.round(result.overall.actualSpend * 100))}`,
  );
  return ExitCode.Ok;
}
