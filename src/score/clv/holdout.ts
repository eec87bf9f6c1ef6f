import type { Db } from '../../store/db.js';
import { buildOrderTables, dropTempTables } from '../aggregate.js';
import { expectedPurchases } from './bgnbd.js';
import { clvSummary, fitModels, spendReport, summaryRow, type ClvModel } from './clv.js';
import { expectedOrderValue } from './gamma-gamma.js';

/**
 * The calibration/holdout check of Fader, Hardie & Lee (2005, Figure 2) and lifetimes'
 * calibration_and_holdout_data: fit on the purchases up to the calibration end, predict each
 * customer's purchases in the holdout period (calibration end, as-of], and compare with what they
 * did, per calibration-period frequency and overall. Customers are those with a purchase by the
 * calibration end; a purchase is a purchase day, as in the fit. Writes nothing.
 */
export interface HoldoutSpan {
  /** Calendar months ("6m", "1y") or days ("39w", "90d"). */
  months?: number;
  days?: number;
  label: string;
}

export interface HoldoutGroup {
  /** Repeat purchase days in the calibration period: "0" … "6", "7+". */
  frequency: string;
  customers: number;
  actualMean: number;
  predictedMean: number;
  actualPurchases: number;
  predictedPurchases: number;
}

export interface HoldoutResult {
  calibrationEnd: string;
  asOf: string;
  holdout: string;
  holdoutWeeks: number;
  customers: number;
  groups: HoldoutGroup[];
  overall: {
    actualPurchases: number;
    predictedPurchases: number;
    /** (predicted − actual) / actual. */
    relativeError: number | null;
    /** Spend in the holdout period, currency units: actual vs expected purchases × expected order value. */
    actualSpend: number;
    predictedSpend: number;
  };
  model: Omit<ClvModel, 'customers' | 'horizonMonths' | 'discountMonthly' | 'totalClvMinor'>;
}

/** "6m", "1y" (calendar months), "39w", "90d" to a span; null when unreadable or not positive. */
export function parseSpan(text: string): HoldoutSpan | null {
  const match = /^\s*(\d+)\s*([dwmy])\s*$/i.exec(text);
  if (!match) return null;
  const n = Number(match[1]);
  if (n <= 0) return null;
  const unit = match[2]!.toLowerCase();
  const label = `${n}${unit}`;
  if (unit === 'd' || unit === 'w') return { days: unit === 'w' ? 7 * n : n, label };
  return { months: unit === 'y' ? 12 * n : n, label };
}

const GROUPS = 8; // 0 … 6 and 7+, as the paper's Figure 2

export function clvHoldout(db: Db, asOf: string, span: HoldoutSpan, penalizer: number): HoldoutResult {
  try {
    return check(db, asOf, span, penalizer);
  } finally {
    dropTempTables(db);
  }
}

function check(db: Db, asOf: string, span: HoldoutSpan, penalizer: number): HoldoutResult {
  const modifier = span.months !== undefined ? `-${span.months} months` : `-${span.days} days`;
  const calibrationEnd = db.prepare('SELECT date(?, ?)').pluck().get(asOf, modifier) as string;
  const holdoutDays = db.prepare('SELECT julianday(?) - julianday(?)').pluck().get(asOf, calibrationEnd) as number;
  buildOrderTables(db, asOf);
  const summary = clvSummary(db, calibrationEnd, 'days');
  const fitted = fitModels(summary, calibrationEnd, penalizer);
  const actual = new Map(
    (db
      .prepare('SELECT contact_id, count(*), sum(spend) FROM score_days WHERE day > ? GROUP BY contact_id')
      .raw()
      .all(calibrationEnd) as Array<[number, number, number]>).map(([id, n, spend]) => [id, [n, spend / 100] as const]),
  );
  const weeks = holdoutDays / 7;
  const groups = Array.from({ length: GROUPS }, (_, i) => ({ frequency: i === GROUPS - 1 ? `${i}+` : String(i), customers: 0, actualPurchases: 0, predictedPurchases: 0 }));
  let actualSpend = 0;
  let predictedSpend = 0;
  for (let i = 0; i < summary.length; i++) {
    const { contactId, x, txDays, TDays, repeatMeanMinor } = summaryRow(summary, i);
    const predicted = expectedPurchases(fitted.purchase, weeks, x, txDays / 7, TDays / 7);
    const [n, spend] = actual.get(contactId) ?? [0, 0];
    const g = groups[Math.min(x, GROUPS - 1)]!;
    g.customers++;
    g.actualPurchases += n;
    g.predictedPurchases += predicted;
    actualSpend += spend;
    predictedSpend += predicted * expectedOrderValue(fitted.spend, x, repeatMeanMinor / 100);
  }
  const actualPurchases = groups.reduce((s, g) => s + g.actualPurchases, 0);
  const predictedPurchases = groups.reduce((s, g) => s + g.predictedPurchases, 0);
  return {
    calibrationEnd,
    asOf,
    holdout: span.label,
    holdoutWeeks: weeks,
    customers: summary.length,
    groups: groups
      .filter((g) => g.customers > 0)
      .map((g) => ({ ...g, actualMean: g.actualPurchases / g.customers, predictedMean: g.predictedPurchases / g.customers })),
    overall: {
      actualPurchases,
      predictedPurchases,
      relativeError: actualPurchases > 0 ? (predictedPurchases - actualPurchases) / actualPurchases : null,
      actualSpend,
      predictedSpend,
    },
    model: {
      purchaseModel: fitted.bg.report,
      ...(fitted.bg.fullModel ? { fullBgNbd: fitted.bg.fullModel } : {}),
      spendModel: spendReport(fitted),
      warnings: [...fitted.bg.warnings, ...fitted.gg.warnings],
      penalizer,
    },
  };
}
