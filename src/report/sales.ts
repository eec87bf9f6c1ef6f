/**
 * Sales KPIs, each one SQL query over the scope's temp tables (scope.ts) at one point in time.
 * "The last 12 months" of a date D are the days after the same day a year earlier, up to D included.
 */
import type { Db } from '../store/db.js';
import type { Cents } from '../store/types.js';
import { monthDiff, type Point, type Scope } from './scope.js';

/** A share of a whole; null when the whole is empty (nothing to divide). */
export type Rate = number | null;

function rate(part: number, whole: number): Rate {
  return whole > 0 ? part / whole : null;
}

/** Customers: contacts of the file with at least one order up to the date. */
export function customerCount(db: Db, p: Point): number {
  return db.prepare(`SELECT count(*) FROM ${p.customers}`).pluck().get() as number;
}

/** Customers with an order in the last 12 months. */
export function activeCustomers(db: Db, p: Point): number {
  return db.prepare(`SELECT count(*) FROM ${p.customers} WHERE orders_12 > 0`).pluck().get() as number;
}

/** Customers whose first order falls in the last 12 months. */
export function newCustomers12(db: Db, p: Point): number {
  return db.prepare(`SELECT count(*) FROM ${p.customers} WHERE first_day > ?`).pluck().get(p.yearStart) as number;
}

/** Share of customers with two orders or more (all orders up to the date). */
export function repeatPurchaseRate(db: Db, p: Point): { repeaters: number; customers: number; rate: Rate } {
  const row = db.prepare(`SELECT coalesce(sum(orders >= 2), 0) AS repeaters, count(*) AS customers FROM ${p.customers}`).get() as { repeaters: number; customers: number };
  return { ...row, rate: rate(row.repeaters, row.customers) };
}

/** Churn: customers who ordered in the 12 months before the last 12, and not in the last 12. */
export function churn(db: Db, p: Point): { churned: number; base: number; rate: Rate } {
  const row = db
    .prepare(`SELECT coalesce(sum(orders_12 = 0), 0) AS churned, count(*) AS base FROM ${p.customers} WHERE orders_prior_12 > 0`)
    .get() as { churned: number; base: number };
  return { ...row, rate: rate(row.churned, row.base) };
}

/** Net revenue of the lines dated in the last 12 months (returns subtracted on their own day). */
export function revenue12(db: Db, p: Point): Cents {
  return db.prepare('SELECT coalesce(sum(revenue), 0) FROM rep_lines WHERE day > ? AND day <= ?').pluck().get(p.yearStart, p.date) as number;
}

/** Orders placed in the last 12 months. */
export function orders12(db: Db, p: Point): number {
  return db.prepare(`SELECT coalesce(sum(orders_12), 0) FROM ${p.customers}`).pluck().get() as number;
}

/** Average order value over the last 12 months: net revenue / orders (segments' formula). */
export function averageOrderValue(db: Db, p: Point): Cents | null {
  const orders = orders12(db, p);
  return orders > 0 ? Math.round(revenue12(db, p) / orders) : null;
}

/** Purchase frequency: orders of the last 12 months per customer active in them. */
export function purchaseFrequency(db: Db, p: Point): number | null {
  const row = db.prepare(`SELECT coalesce(sum(orders_12), 0) AS orders, coalesce(sum(orders_12 > 0), 0) AS active FROM ${p.customers}`).get() as { orders: number; active: number };
  return row.active > 0 ? row.orders / row.active : null;
}

/** All net revenue up to the date (every ref of a contact in the file): segments' total revenue. */
export function revenueToDate(db: Db, p: Point): Cents {
  return db.prepare(`SELECT coalesce(sum(net), 0) FROM ${p.orders}`).pluck().get() as number;
}

/** Every headline count of a point, from one scan of its customers (the functions above, one query each, agree). */
export interface PointSummary {
  customers: number;
  active: number;
  newCustomers: number;
  orders12: number;
  repeaters: number;
  churned: number;
  churnBase: number;
  revenue12: Cents;
}

/** The counts of a point; its revenue of the last 12 months is read from rep_lines (lineKpis), maybe elsewhere. */
export function pointSummary(db: Db, p: Point): Omit<PointSummary, 'revenue12'> {
  const row = db
    .prepare(
      `SELECT count(*) AS customers, coalesce(sum(orders_12 > 0), 0) AS active, coalesce(sum(first_day > @year), 0) AS newCustomers,
              coalesce(sum(orders_12), 0) AS orders12, coalesce(sum(orders >= 2), 0) AS repeaters,
              coalesce(sum(orders_prior_12 > 0 AND orders_12 = 0), 0) AS churned, coalesce(sum(orders_prior_12 > 0), 0) AS churnBase
       FROM ${p.customers}`,
    )
    .get({ year: p.yearStart }) as Omit<PointSummary, 'revenue12'>;
  return row;
}

/** The headline KPIs of a point from its summary, with the formulas of the functions above. */
export function headlineOf(s: PointSummary) {
  return {
    customers: s.customers,
    activeCustomers: s.active,
    newCustomers: s.newCustomers,
    revenue12: s.revenue12,
    orders12: s.orders12,
    averageOrderValue: s.orders12 > 0 ? Math.round(s.revenue12 / s.orders12) : null,
    purchaseFrequency: s.active > 0 ? s.orders12 / s.active : null,
    repeatPurchaseRate: rate(s.repeaters, s.customers),
    churnRate: rate(s.churned, s.churnBase),
  };
}

export interface MonthRow {
  month: string;
  revenueMinor: Cents;
  orders: number;
  newCustomers: number;
}

/** Per month of the scope: net revenue (lines dated in it), orders placed, customers whose first order it holds. */
export function monthlySeries(db: Db, scope: Scope): MonthRow[] {
  return monthlyCounts(db, scope, monthlyRevenue(db, scope));
}

/** Net revenue per month of the scope ('yyyy-mm', revenue), from rep_lines. */
export function monthlyRevenue(db: Db, scope: Scope): Array<[string, Cents]> {
  return db.prepare('SELECT substr(day, 1, 7) AS m, sum(revenue) AS r FROM rep_lines WHERE day >= ? GROUP BY 1').raw(true).all(`${scope.months[0]}-01`) as Array<[string, number]>;
}

/** The monthly series from the orders and customers tables, with the revenue of each month given. */
export function monthlyCounts(db: Db, scope: Scope, revenueByMonth: Array<[string, Cents]>): MonthRow[] {
  const first = `${scope.months[0]}-01`;
  const revenue = new Map(revenueByMonth);
  const orders = new Map(
    (db.prepare(`SELECT substr(day, 1, 7), count(*) FROM ${scope.current.orders} WHERE net > 0 AND day >= ? GROUP BY 1`).raw(true).all(first) as Array<[string, number]>),
  );
  const fresh = new Map(
    (db.prepare(`SELECT substr(first_day, 1, 7), count(*) FROM ${scope.current.customers} WHERE first_day >= ? GROUP BY 1`).raw(true).all(first) as Array<[string, number]>),
  );
  return scope.months.map((month) => ({ month, revenueMinor: revenue.get(month) ?? 0, orders: orders.get(month) ?? 0, newCustomers: fresh.get(month) ?? 0 }));
}

export interface ShareRow {
  name: string;
  revenueMinor: Cents;
  share: Rate;
}

/**
 * Net revenue by category or channel over the months of the scope, largest first; lines without one
 * are '' (shown as "not given"). Shares are of the period's net revenue.
 */
export function revenueBy(db: Db, scope: Scope, column: 'category' | 'channel'): ShareRow[] {
  const rows = db
    .prepare(`SELECT ${column} AS name, sum(revenue) AS revenueMinor FROM rep_lines WHERE day >= ? GROUP BY 1 ORDER BY 2 DESC, 1`)
    .all(`${scope.months[0]}-01`) as Array<{ name: string; revenueMinor: number }>;
  const total = rows.reduce((sum, r) => sum + r.revenueMinor, 0);
  return rows.map((r) => ({ ...r, share: rate(r.revenueMinor, total) }));
}

export interface Cohort {
  /** First-purchase month. */
  month: string;
  customers: number;
  /** retained[k-1]: share of the cohort with an order k months later (k = 1... up to the report month). */
  retained: number[];
}

/** Cohort retention: customers by first-order month (months of the scope), share ordering again N months later. */
export function cohortRetention(db: Db, scope: Scope): Cohort[] {
  const p = scope.current;
  const first = `${scope.months[0]}-01`;
  const sizes = new Map(
    db.prepare(`SELECT substr(first_day, 1, 7), count(*) FROM ${p.customers} WHERE first_day >= ? GROUP BY 1`).raw(true).all(first) as Array<[string, number]>,
  );
  const cells = db
    .prepare(
      `SELECT substr(c.first_day, 1, 7) AS cohort, substr(o.day, 1, 7) AS month, count(DISTINCT o.contact_id) AS n
       FROM ${p.orders} o JOIN ${p.customers} c ON c.contact_id = o.contact_id
       WHERE o.net > 0 AND o.day >= @first AND c.first_day >= @first AND substr(o.day, 1, 7) > substr(c.first_day, 1, 7)
       GROUP BY 1, 2`,
    )
    .all({ first }) as Array<{ cohort: string; month: string; n: number }>;
  const last = scope.months[scope.months.length - 1]!;
  return scope.months
    .filter((month) => sizes.has(month))
    .map((month) => {
      const customers = sizes.get(month)!;
      const retained = Array.from({ length: monthDiff(month, last) }, () => 0);
      for (const cell of cells) if (cell.cohort === month) retained[monthDiff(month, cell.month) - 1] = cell.n / customers;
      return { month, customers, retained };
    });
}

/** The KPIs read from rep_lines only (prepareLines), which the report computes beside the others. */
export interface LineKpis {
  /** Currencies of the lines, most lines first. */
  currencies: string[];
  revenue12: { current: Cents; baseline: Cents | null };
  monthlyRevenue: Array<[string, Cents]>;
  categories: ShareRow[];
  channels: ShareRow[];
}

export function lineKpis(db: Db, scope: Scope): LineKpis {
  return {
    currencies: db.prepare('SELECT currency, sum(lines) AS n FROM rep_lines GROUP BY 1 ORDER BY 2 DESC, 1').pluck().all() as string[],
    revenue12: { current: revenue12(db, scope.current), baseline: scope.baseline ? revenue12(db, scope.baseline) : null },
    monthlyRevenue: monthlyRevenue(db, scope),
    categories: revenueBy(db, scope, 'category'),
    channels: revenueBy(db, scope, 'channel'),
  };
}
