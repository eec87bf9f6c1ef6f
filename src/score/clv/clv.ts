import type { Db } from '../../store/db.js';
import { batchInsert } from '../../store/batch-insert.js';
import { bgnbdData, fitBgNbd, pAlive, purchaseBracket, purchaseHead, type BgNbdData, type BgNbdParams } from './bgnbd.js';
import { ClvFitError, type FitReport } from './fit.js';
import { expectedOrderValue, fitGammaGamma, type GammaGammaParams } from './gamma-gamma.js';

/** Customer lifetime value over the score tables (needs `buildOrderTables` first). */
export interface ClvOptions {
  /** Horizon in months (fractional allowed: 52w = 11.96 months). */
  horizonMonths: number;
  /** Discount rate per month, e.g. 0.01. */
  discountMonthly: number;
  /** L2 penalizer as lifetimes' penalizer_coef; 0 = plain maximum likelihood (Fader-Hardie-Lee). */
  penalizer: number;
}

export interface ClvModel {
  /** The purchase model used: BG/NBD, or NBD when the BG/NBD optimum is its b → ∞ limit. */
  purchaseModel: FitReport<BgNbdParams | { r: number; alpha: number }>;
  /** The BG/NBD fit itself when its limit was used instead. */
  fullBgNbd?: FitReport<BgNbdParams>;
  spendModel: FitReport<GammaGammaParams> & {
    used: 'Gamma-Gamma' | 'observed mean spend';
    /** Expected order value of a customer without a repeat purchase (currency units). */
    expectedSpendOneTimeBuyer: number;
    repeatCustomers: number;
    frequencySpendCorrelation: number | null;
    observedMeanSpend: number;
  };
  /** Boundaries reached, assumptions in doubt: printed on stderr and kept in --json. */
  warnings: string[];
  customers: number;
  horizonMonths: number;
  discountMonthly: number;
  penalizer: number;
  totalClvMinor: number;
}

const WEEKS_PER_MONTH = 365.25 / 12 / 7;
const MIN_CUSTOMERS = 10;
const MIN_REPEAT = 3;

/** One customer's summary: the standard calendar-day aggregation, in days (weeks = days / 7). */
export interface ClvSummaryRow {
  contactId: number;
  x: number;
  txDays: number;
  TDays: number;
  /** Mean spend of the repeat days (first day excluded), minor units; 0 when x = 0. */
  repeatMeanMinor: number;
}

/** The same, column by column: typed arrays keep a million customers in a few tens of MB. */
export interface ClvSummary {
  length: number;
  contactId: Float64Array;
  x: Int32Array;
  txDays: Int32Array;
  TDays: Int32Array;
  repeatMeanMinor: Float64Array;
}

export function summaryRow(s: ClvSummary, i: number): ClvSummaryRow {
  return { contactId: s.contactId[i]!, x: s.x[i]!, txDays: s.txDays[i]!, TDays: s.TDays[i]!, repeatMeanMinor: s.repeatMeanMinor[i]! };
}

/**
 * Reads the per-customer summary, by contact id: from score_day_summary (the run's as-of date, built by
 * `buildOrderTables` with days 'summary' or 'all'), or with `source` 'days' from score_days up to
 * `asOf`, which may be before the date score_days was built for (the holdout check's calibration end).
 */
export function clvSummary(db: Db, asOf: string, source: 'summary' | 'days' = 'summary'): ClvSummary {
  // Capacity: every contact with a purchase day has a row in score_customers; counting them is cheaper
  // than a DISTINCT over the days, and the arrays are cut to the customers actually read.
  const length = db.prepare('SELECT count(*) FROM score_customers').pluck().get() as number;
  const s: ClvSummary = {
    length,
    contactId: new Float64Array(length),
    x: new Int32Array(length),
    txDays: new Int32Array(length),
    TDays: new Int32Array(length),
    repeatMeanMinor: new Float64Array(length),
  };
  const summary =
    source === 'summary'
      ? 'SELECT contact_id, days, first_day, last_day, total, first_spend FROM score_day_summary'
      : `SELECT g.contact_id, g.days, g.first_day, g.last_day, g.total, f.spend AS first_spend
         FROM (SELECT contact_id, count(*) AS days, min(day) AS first_day, max(day) AS last_day, sum(spend) AS total
               FROM score_days WHERE day <= @asOf GROUP BY contact_id) g
         JOIN score_days f ON f.contact_id = g.contact_id AND f.day = g.first_day`;
  const rows = db
    .prepare(
      `SELECT contact_id, days - 1,
              CAST(julianday(last_day) - julianday(first_day) AS INTEGER),
              CAST(julianday(@asOf) - julianday(first_day) AS INTEGER),
              total - first_spend
       FROM (${summary}) ORDER BY contact_id`,
    )
    .raw()
    .iterate({ asOf }) as Iterable<[number, number, number, number, number]>;
  let i = 0;
  for (const [contactId, x, txDays, TDays, repeatSpend] of rows) {
    s.contactId[i] = contactId;
    s.x[i] = x;
    s.txDays[i] = txDays;
    s.TDays[i] = TDays;
    s.repeatMeanMinor[i] = x > 0 ? repeatSpend / x : 0;
    i++;
  }
  s.length = i;
  return s;
}

/**
 * Groups identical (x, tx, T) histories (days in, weeks out). Each history packs into one exact double
 * (x · 2^32 + tx · 2^16 + T; days stay below 2^16, x below 2^21), so grouping is a native sort of a
 * million numbers and one pass, instead of a million hash-map operations.
 */
export function groupSummary(s: ClvSummary): { data: BgNbdData } {
  const keys = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) keys[i] = (s.x[i]! * 65536 + s.txDays[i]!) * 65536 + s.TDays[i]!;
  keys.sort();
  let groups = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) groups++;
  const x = new Float64Array(groups);
  const tx = new Float64Array(groups);
  const T = new Float64Array(groups);
  const weight = new Float64Array(groups);
  let g = -1;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i === 0 || k !== keys[i - 1]) {
      g++;
      x[g] = Math.floor(k / 4294967296);
      tx[g] = (Math.floor(k / 65536) % 65536) / 7;
      T[g] = (k % 65536) / 7;
    }
    weight[g]! += 1;
  }
  return { data: bgnbdData(x, tx, T, weight) };
}

/** Repeat customers with a positive mean repeat spend (Gamma-Gamma's input), mean in currency units. */
export function repeatCustomers(s: ClvSummary): { x: Float64Array; m: Float64Array } {
  const x: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s.x[i]! > 0 && s.repeatMeanMinor[i]! > 0) {
      x.push(s.x[i]!);
      m.push(s.repeatMeanMinor[i]! / 100);
    }
  }
  return { x: Float64Array.from(x), m: Float64Array.from(m) };
}

/**
 * Fits both models and writes temp.score_clv (contact_id, p_alive, expected_purchases,
 * expected_aov_minor, clv_minor). CLV = sum over the horizon's months of the expected purchases in that
 * month x expected order value, discounted by (1 + d)^month. Throws ClvFitError when the data cannot
 * identify a model (too few customers, no repeat purchase) or a fit does not converge; a fit whose
 * optimum lies at a limit of the model succeeds with the limiting model and a warning.
 */
export function computeClv(db: Db, asOf: string, options: ClvOptions): ClvModel {
  const summary = clvSummary(db, asOf);
  const fitted = fitModels(summary, asOf, options.penalizer);
  const { purchase, spend } = fitted;
  const steps = Math.ceil(options.horizonMonths - 1e-9);
  // The costly hypergeometric part depends on (x, T) only: computed once per distinct (x, T).
  const brackets = new Map<number, [number, number]>();
  const bracketsFor = (x: number, TDays: number): [number, number] => {
    const k = x * 65536 + TDays;
    let found = brackets.get(k);
    if (!found) {
      let previous = 0;
      let discounted = 0;
      for (let month = 1; month <= steps; month++) {
        const bracket = purchaseBracket(purchase, Math.min(month, options.horizonMonths) * WEEKS_PER_MONTH, x, TDays / 7);
        discounted += (bracket - previous) / Math.pow(1 + options.discountMonthly, month);
        previous = bracket;
      }
      found = [previous, discounted];
      brackets.set(k, found);
    }
    return found;
  };

  db.exec(`DROP TABLE IF EXISTS temp.score_clv;
    CREATE TEMP TABLE score_clv (contact_id INTEGER PRIMARY KEY, p_alive REAL, expected_purchases REAL,
      expected_aov_minor INTEGER, clv_minor INTEGER)`);
  let total = 0;
  function* scored(): Generator<unknown[]> {
    for (let i = 0; i < summary.length; i++) {
      const { contactId, x, txDays, TDays, repeatMeanMinor } = summaryRow(summary, i);
      const [bracket, discountedBracket] = bracketsFor(x, TDays);
      const alive = pAlive(purchase, x, txDays / 7, TDays / 7);
      const head = purchaseHead(purchase, x, txDays / 7, TDays / 7);
      const value = expectedOrderValue(spend, x, repeatMeanMinor / 100) * 100;
      const clv = Math.round(head * discountedBracket * value);
      total += clv;
      yield [contactId, round(alive, 6), round(head * bracket, 6), Math.round(value), clv];
    }
  }
  batchInsert(db, 'score_clv', 5, scored());
  return {
    purchaseModel: fitted.bg.report,
    ...(fitted.bg.fullModel ? { fullBgNbd: fitted.bg.fullModel } : {}),
    spendModel: spendReport(fitted),
    warnings: [...fitted.bg.warnings, ...fitted.gg.warnings],
    customers: summary.length,
    horizonMonths: options.horizonMonths,
    discountMonthly: options.discountMonthly,
    penalizer: options.penalizer,
    totalClvMinor: total,
  };
}

/** Both fits on a summary; ClvFitError when the data are too thin to identify them. */
export function fitModels(summary: ClvSummary, asOf: string, penalizer: number) {
  const repeat = repeatCustomers(summary);
  if (summary.length < MIN_CUSTOMERS || repeat.x.length < MIN_REPEAT) {
    throw new ClvFitError(
      `CLV needs at least ${MIN_CUSTOMERS} customers and ${MIN_REPEAT} of them with a purchase on a second day (with a positive spend) up to ${asOf}; ` +
        `found ${summary.length} and ${repeat.x.length}`,
    );
  }
  const bg = fitBgNbd(groupSummary(summary).data, penalizer);
  const gg = fitGammaGamma(repeat.x, repeat.m, penalizer);
  return { bg, gg, purchase: bg.model, spend: gg.model };
}

export function spendReport(fitted: ReturnType<typeof fitModels>): ClvModel['spendModel'] {
  const { gg, spend } = fitted;
  return {
    ...gg.report,
    used: spend.kind === 'observed-mean' ? 'observed mean spend' : 'Gamma-Gamma',
    expectedSpendOneTimeBuyer: spend.kind === 'observed-mean' ? spend.mean : spend.populationMean,
    repeatCustomers: gg.repeatCustomers,
    frequencySpendCorrelation: gg.frequencySpendCorrelation,
    observedMeanSpend: gg.observedMean,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export { ClvFitError };

/** "12m", "52w", "1y", "90d" (or a bare number of months) to months. */
export function parseHorizon(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([dwmy]?)\s*$/i.exec(text);
  if (!match) return null;
  const n = Number(match[1]);
  const unit = (match[2] || 'm').toLowerCase();
  const months = unit === 'd' ? (n / 365.25) * 12 : unit === 'w' ? (n * 7 * 12) / 365.25 : unit === 'y' ? n * 12 : n;
  return months > 0 && months <= 120 ? months : null;
}
