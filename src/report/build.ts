/**
 * buildReport(db, options): every KPI of the report in one plain object (what `report --json` prints and
 * what the terminal and HTML views render). The store must be validated first (ensureValidated).
 */
import type { Db } from '../store/db.js';
import type { Cents } from '../store/types.js';
import { contactCounts, duplicates, fileHealth, surveys, type ContactCounts, type Duplicates, type FileHealth, type Survey } from './file.js';
import {
  activeCustomers, averageOrderValue, churn, cohortRetention, customerCount, monthlySeries, newCustomers12, orders12,
  purchaseFrequency, repeatPurchaseRate, revenue12, revenueBy, revenueToDate,
  type Cohort, type MonthRow, type Rate, type ShareRow,
} from './sales.js';
import { categoryAffinities, clvDistribution, currentRun, rfGrid, segmentSizes, type AffinityRule, type ClvSummary, type GridCell, type SegmentSizes } from './scores.js';
import { dropScopeTables, prepareScope, type Point } from './scope.js';

export interface ReportOptions {
  /** yyyy-mm-dd: purchases after it are ignored. */
  asOf: string;
  /** Months in the monthly series, cohorts and category/channel revenue (default 12). */
  months?: number;
  /** Date the headline changes are measured from (default: the latest score run before asOf; null: none). */
  baseline?: string | null;
}

/** A headline figure now and at the baseline date (null when there is no baseline or no value). */
export interface Headline<T> {
  value: T;
  previous: T | null;
}

export interface Report {
  asOf: string;
  months: number;
  baseline: string | null;
  /** The currency most purchase lines of the period are in, and every other one seen (amounts are summed as stored). */
  currency: { main: string | null; others: string[] };
  contacts: ContactCounts;
  headline: {
    customers: Headline<number>;
    activeCustomers: Headline<number>;
    newCustomers: Headline<number>;
    revenue12: Headline<Cents>;
    orders12: Headline<number>;
    averageOrderValue: Headline<Cents | null>;
    purchaseFrequency: Headline<number | null>;
    repeatPurchaseRate: Headline<Rate>;
    churnRate: Headline<Rate>;
  };
  revenueToDateMinor: Cents;
  repeatPurchase: { repeaters: number; customers: number; rate: Rate };
  churn: { churned: number; base: number; rate: Rate };
  monthly: MonthRow[];
  categories: ShareRow[];
  channels: ShareRow[];
  cohorts: Cohort[];
  fileHealth: FileHealth;
  duplicates: Duplicates;
  /** Null when no score run is dated on or before asOf. */
  scores: (SegmentSizes & { rfGrid: GridCell[]; clv: ClvSummary | null }) | null;
  affinities: { runId: number; rules: AffinityRule[] } | null;
  surveys: Survey[];
}

function headline<T>(at: (p: Point) => T, current: Point, baseline: Point | null): Headline<T> {
  return { value: at(current), previous: baseline ? at(baseline) : null };
}

export function buildReport(db: Db, options: ReportOptions): Report {
  const months = options.months ?? 12;
  const scope = prepareScope(db, { asOf: options.asOf, months, baseline: options.baseline });
  try {
    const { current, baseline } = scope;
    const run = currentRun(db, options.asOf);
    const currencies = db.prepare('SELECT currency, sum(lines) AS n FROM rep_lines GROUP BY 1 ORDER BY 2 DESC, 1').pluck().all() as string[];
    const repeat = repeatPurchaseRate(db, current);
    const churned = churn(db, current);
    return {
      asOf: options.asOf,
      months,
      baseline: baseline?.date ?? null,
      currency: { main: currencies[0] ?? null, others: currencies.slice(1) },
      contacts: contactCounts(db, current),
      headline: {
        customers: headline((p) => customerCount(db, p), current, baseline),
        activeCustomers: headline((p) => activeCustomers(db, p), current, baseline),
        newCustomers: headline((p) => newCustomers12(db, p), current, baseline),
        revenue12: headline((p) => revenue12(db, p), current, baseline),
        orders12: headline((p) => orders12(db, p), current, baseline),
        averageOrderValue: headline((p) => averageOrderValue(db, p), current, baseline),
        purchaseFrequency: headline((p) => purchaseFrequency(db, p), current, baseline),
        repeatPurchaseRate: headline((p) => repeatPurchaseRate(db, p).rate, current, baseline),
        churnRate: headline((p) => churn(db, p).rate, current, baseline),
      },
      revenueToDateMinor: revenueToDate(db, current),
      repeatPurchase: repeat,
      churn: churned,
      monthly: monthlySeries(db, scope),
      categories: revenueBy(db, scope, 'category'),
      channels: revenueBy(db, scope, 'channel'),
      cohorts: cohortRetention(db, scope),
      fileHealth: fileHealth(db),
      duplicates: duplicates(db),
      scores: run ? { ...segmentSizes(db, run), rfGrid: rfGrid(db, run.id), clv: clvDistribution(db, run.id) } : null,
      affinities: categoryAffinities(db, options.asOf),
      surveys: surveys(db),
    };
  } finally {
    dropScopeTables(db);
  }
}
