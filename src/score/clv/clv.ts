import type { Db } from '../../store/db.js';
import { batchInsert } from '../batch-insert.js';
import {
  bgnbdData,
  ClvFitError,
  expectedOrderValue,
  fitBgNbd,
  fitGammaGamma,
  pAlive,
  purchaseBracket,
  type BgNbdData,
  type BgNbdParams,
  type GammaGammaParams,
} from './models.js';

/** Customer lifetime value over the score tables (needs `buildOrderTables` first). */
export interface ClvOptions {
  /** Horizon in months (fractional allowed: 52w = 11.96 months). */
  horizonMonths: number;
  /** Discount rate per month, e.g. 0.01. */
  discountMonthly: number;
}

export interface ClvModel {
  bgnbd: BgNbdParams & { logLikelihood: number; iterations: number };
  gammaGamma: GammaGammaParams & { logLikelihood: number; iterations: number; repeatCustomers: number };
  customers: number;
  horizonMonths: number;
  discountMonthly: number;
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

/** Reads the per-customer summary from score_days (contacts with a purchase day). */
export function clvSummary(db: Db, asOf: string): ClvSummaryRow[] {
  const rows = db
    .prepare(
      `SELECT g.contact_id, g.x,
              CAST(julianday(g.last_day) - julianday(g.first_day) AS INTEGER),
              CAST(julianday(@asOf) - julianday(g.first_day) AS INTEGER),
              g.total - f.spend
       FROM (SELECT contact_id, count(*) - 1 AS x, min(day) AS first_day, max(day) AS last_day, sum(spend) AS total
             FROM score_days GROUP BY contact_id) g
       JOIN score_days f ON f.contact_id = g.contact_id AND f.day = g.first_day
       ORDER BY g.contact_id`,
    )
    .raw()
    .all({ asOf }) as Array<[number, number, number, number, number]>;
  return rows.map(([contactId, x, txDays, TDays, repeatSpend]) => ({
    contactId,
    x,
    txDays,
    TDays,
    repeatMeanMinor: x > 0 ? repeatSpend / x : 0,
  }));
}

const key = (x: number, tx: number, T: number) => (x * 65536 + tx) * 65536 + T;

/** Groups identical (x, tx, T) histories, in weeks. */
export function groupSummary(rows: ClvSummaryRow[]): { data: BgNbdData } {
  const index = new Map<number, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  for (const row of rows) {
    const k = key(row.x, row.txDays, row.TDays);
    const at = index.get(k);
    if (at !== undefined) weight[at]! += 1;
    else {
      index.set(k, x.length);
      x.push(row.x);
      tx.push(row.txDays / 7);
      T.push(row.TDays / 7);
      weight.push(1);
    }
  }
  return { data: bgnbdData(Float64Array.from(x), Float64Array.from(tx), Float64Array.from(T), Float64Array.from(weight)) };
}

/**
 * Fits both models and writes temp.score_clv (contact_id, p_alive, expected_purchases,
 * expected_aov_minor, clv_minor). CLV = sum over the horizon's months of the expected purchases in that
 * month x expected order value, discounted by (1 + d)^month. Throws ClvFitError when a fit fails.
 */
export function computeClv(db: Db, asOf: string, options: ClvOptions): ClvModel {
  const rows = clvSummary(db, asOf);
  const repeat = rows.filter((r) => r.x > 0 && r.repeatMeanMinor > 0);
  if (rows.length < MIN_CUSTOMERS || repeat.length < MIN_REPEAT) {
    throw new ClvFitError(
      `CLV needs at least ${MIN_CUSTOMERS} customers and ${MIN_REPEAT} repeat customers up to ${asOf}; found ${rows.length} and ${repeat.length}`,
    );
  }
  const bg = fitBgNbd(groupSummary(rows).data);
  const gg = fitGammaGamma(
    Float64Array.from(repeat, (r) => r.x),
    Float64Array.from(repeat, (r) => r.repeatMeanMinor / 100),
  );

  // E[purchases] = head(x) * bracket(t, x, T) * P(alive | x, tx, T): the costly hypergeometric part
  // depends on (x, T) only, so it is computed once per distinct (x, T) and month, then shared.
  const { a, b } = bg.params;
  const steps = Math.ceil(options.horizonMonths - 1e-9);
  const brackets = new Map<number, [number, number]>();
  const bracketsFor = (x: number, TDays: number): [number, number] => {
    const k = x * 65536 + TDays;
    let found = brackets.get(k);
    if (!found) {
      let previous = 0;
      let discounted = 0;
      for (let month = 1; month <= steps; month++) {
        const bracket = purchaseBracket(bg.params, Math.min(month, options.horizonMonths) * WEEKS_PER_MONTH, x, TDays / 7);
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
  batchInsert(
    db,
    'score_clv',
    5,
    rows.map((row) => {
      const [bracket, discountedBracket] = bracketsFor(row.x, row.TDays);
      const alive = pAlive(bg.params, row.x, row.txDays / 7, row.TDays / 7);
      const head = ((a + b + row.x - 1) / (a - 1)) * alive;
      const value = expectedOrderValue(gg.params, row.x, row.repeatMeanMinor / 100) * 100;
      const clv = Math.round(head * discountedBracket * value);
      total += clv;
      return [row.contactId, round(alive, 6), round(head * bracket, 6), Math.round(value), clv];
    }),
  );
  return {
    bgnbd: { ...bg.params, logLikelihood: bg.logLikelihood, iterations: bg.iterations },
    gammaGamma: { ...gg.params, logLikelihood: gg.logLikelihood, iterations: gg.iterations, repeatCustomers: repeat.length },
    customers: rows.length,
    horizonMonths: options.horizonMonths,
    discountMonthly: options.discountMonthly,
    totalClvMinor: total,
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
