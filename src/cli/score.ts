import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from './context.js';
import type { Wrap } from './main.js';
import { integer, money, percent, table } from './format.js';
import { BinningError, loadThresholds, type Binning, type Bins } from '../score/binning.js';
import { ClvFitError, parseHorizon } from '../score/clv/clv.js';
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
}

export function registerScore(program: Command, wrap: Wrap): void {
  program
    .command('score')
    .description(
      'Score every customer as of a date: recency (days since the last order), frequency (orders), monetary ' +
        '(net of returns), R/F/M scores and a named segment; RFMCCA adds categories, channels and affinities; ' +
        '--clv fits BG/NBD + Gamma-Gamma and adds P(alive), expected purchases and lifetime value. ' +
        'Contacts without an order are "prospect"; merged and erased contacts are not scored.',
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
    .action(
      wrap((ctx, flags: ScoreFlags) => {
        const options = parseFlags(flags);
        const db = ctx.openDb({ mustExist: true });
        try {
          let result;
          try {
            result = scoreRun(db, options);
          } catch (error) {
            if (error instanceof ClvFitError) throw new CliError(`${error.message} (store unchanged)`, ExitCode.Failed);
            throw error;
          }
          if (ctx.json) {
            ctx.printJson(result);
            return ExitCode.Ok;
          }
          ctx.info(
            `run ${result.runId} (${result.replaced ? 'replaced' : 'new'}): ${result.method} as of ${result.asOf}, ` +
              `${integer(result.customers)} customers, ${integer(result.prospects)} prospects, map ${result.segmentMap}`,
          );
          const total = result.customers + result.prospects;
          ctx.report(table(['segment', 'contacts', 'share'], result.segments.map((s) => [s.segment, integer(s.customers), percent(total ? s.customers / total : 0)])));
          if (result.affinities) {
            ctx.info(`affinities: ${result.affinities.rules} rules, next-best category for ${integer(result.affinities.withNextBest)} customers`);
          }
          if (result.clv) {
            const { bgnbd: bg, gammaGamma: gg } = result.clv;
            ctx.info(
              `CLV: BG/NBD r=${bg.r.toFixed(3)} alpha=${bg.alpha.toFixed(3)} a=${bg.a.toFixed(3)} b=${bg.b.toFixed(3)} (LL ${bg.logLikelihood.toFixed(1)}); ` +
                `Gamma-Gamma p=${gg.p.toFixed(3)} q=${gg.q.toFixed(3)} gamma=${gg.gamma.toFixed(3)}; ` +
                `total CLV over ${result.clv.horizonMonths.toFixed(1)} months: ${money(result.clv.totalClvMinor)}`,
            );
          }
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
  if (flags.clv) {
    const horizonMonths = parseHorizon(flags.horizon);
    if (horizonMonths === null) throw new UsageError(`--horizon ${flags.horizon}: expected e.g. 12m, 52w, 1y or 90d (up to 10 years)`);
    const discountMonthly = Number(flags.discount);
    if (!(discountMonthly >= 0 && discountMonthly < 1)) throw new UsageError(`--discount ${flags.discount}: expected a monthly rate in [0, 1), e.g. 0.01`);
    clv = { horizonMonths, discountMonthly };
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
