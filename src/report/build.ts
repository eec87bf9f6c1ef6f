/**
 * buildReport(db, options): every KPI of the report in one plain object (what `report --json` prints and
 * what the terminal and HTML views render). The store must be validated first (ensureValidated).
 */
import type { Db } from '../store/db.js';
import { campaignResults, type CampaignResultRow } from './campaigns.js';
import type { Cents } from '../store/types.js';
import { withCustomers, type ContactCounts, type Duplicates, type FileHealth, type Survey } from './file.js';
import {
  cohortRetention, headlineOf, monthlyCounts, pointSummary, revenueToDate, type Cohort, type MonthRow, type Rate, type ShareRow,
} from './sales.js';
import type { AffinityRule, ClvSummary, GridCell, SegmentSizes } from './scores.js';
import { dropScopeTables, prepareScope, scopeDates } from './scope.js';
import { startSideKpis, timed, type Timing } from './side.js';

export interface ReportOptions {
  /** yyyy-mm-dd: purchases after it are ignored. */
  asOf: string;
  /** Months in the monthly series, cohorts and category/channel revenue (default 12). */
  months?: number;
  /** Date the headline changes are measured from (default: the latest score run before asOf; null: none). */
  baseline?: string | null;
  /** When given, each step's duration is pushed to it (CUSTKIT_REPORT_TIMINGS in the CLI prints them). */
  timings?: Timing[];
  /** The KPIs that read no order on a worker thread: 'auto' (default) from 50,000 contacts, or always / never. */
  sideThread?: 'auto' | boolean;
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
  /** The latest campaigns (up to 10) sent by then whose results were read; empty when none. */
  campaigns: CampaignResultRow[];
}

/**
 * The KPIs that read no order (revenue by day, category and channel; scores, file health, surveys...)
 * start first, on a worker thread for a large store (side.ts), while this thread builds the orders and
 * customers tables and the KPIs read from them. Every KPI is the same whichever thread computes it.
 */
export function buildReport(db: Db, options: ReportOptions): Report {
  const months = options.months ?? 12;
  const timings = options.timings ?? [];
  const t = <T>(step: string, fn: () => T): T => timed(timings, 'main', step, fn);
  const dates = scopeDates(db, { asOf: options.asOf, months, baseline: options.baseline });
  const side = startSideKpis(db, dates, timings, options.sideThread);
  try {
    const onStep = (step: string, ms: number) => timings.push({ step: `scope: ${step}`, ms, thread: 'main' });
    const scope = prepareScope(db, { asOf: options.asOf, months, baseline: dates.baseline?.date ?? null, onStep, lines: false });
    try {
      const { current, baseline } = scope;
      const points = t('headline counts', () => ({ now: pointSummary(db, current), then: baseline ? pointSummary(db, baseline) : null }));
      const revenueToDateMinor = t('revenue to date', () => revenueToDate(db, current));
      const counts = t('monthly orders and new customers', () => monthlyCounts(db, scope, []));
      const cohorts = t('cohorts', () => cohortRetention(db, scope));
      const campaigns = t('campaign results', () => campaignResults(db, options.asOf));
      dropScopeTables(db);
      const rest = t('waiting for the side KPIs', () => side.result());
      const { lines } = rest;
      const now = { ...points.now, revenue12: lines.revenue12.current };
      const value = headlineOf(now);
      const previous = points.then ? headlineOf({ ...points.then, revenue12: lines.revenue12.baseline ?? 0 }) : null;
      const headlines = Object.fromEntries(
        (Object.keys(value) as Array<keyof typeof value>).map((key) => [key, { value: value[key], previous: previous ? previous[key] : null }]),
      ) as Report['headline'];
      const revenue = new Map(lines.monthlyRevenue);
      const monthly = counts.map((m) => ({ ...m, revenueMinor: revenue.get(m.month) ?? 0 }));
      return {
        asOf: options.asOf,
        months,
        baseline: baseline?.date ?? null,
        currency: { main: lines.currencies[0] ?? null, others: lines.currencies.slice(1) },
        contacts: withCustomers(rest.statuses, now.customers),
        headline: headlines,
        revenueToDateMinor,
        repeatPurchase: { repeaters: now.repeaters, customers: now.customers, rate: value.repeatPurchaseRate },
        churn: { churned: now.churned, base: now.churnBase, rate: value.churnRate },
        monthly,
        categories: lines.categories,
        channels: lines.channels,
        cohorts,
        fileHealth: rest.fileHealth,
        duplicates: rest.duplicates,
        scores: rest.scores,
        affinities: rest.affinities,
        surveys: rest.surveys,
        campaigns,
      };
    } finally {
      dropScopeTables(db);
    }
  } catch (error) {
    side.cancel();
    throw error;
  }
}
