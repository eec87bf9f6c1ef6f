/**
 * Marketing pressure: how many campaigns a person may be sent on a channel within a period. An export
 * asks for a cap (--max-sends N --per 30d), or takes the store's default for its channel (campaigns
 * settings), or none; the cap becomes a rule of its selection (select.ts) and a step of its funnel.
 */
import type { Db } from '../store/db.js';
import { cutoffDate, DurationError } from '../validate/duration.js';
import { SelectionError, type PressureCap, type Selection } from '../export/select.js';
import { getSettings } from './settings.js';

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** "30d", "4w", "1m": a period counted back from today; refused when it is a date or not a duration. */
export function checkPeriod(period: string, flag = '--per'): void {
  if (/^\d{4}-\d{2}-\d{2}$/.test(period.trim())) throw new SelectionError(`${flag} ${period}: expected a period such as 30d, 4w or 1m, not a date`);
  try {
    cutoffDate(period, '2000-01-01');
  } catch (error) {
    if (error instanceof DurationError) throw new SelectionError(`${flag} ${period}: expected a period such as 30d, 4w or 1m`);
    throw error;
  }
}

/** The cap an export applies, from its selection or the store's default; null for none. */
export function resolvePressure(db: Db, selection: Selection, today = new Date().toISOString().slice(0, 10)): PressureCap | null {
  if (selection.pressure === null) return null;
  let origin: PressureCap['origin'] = 'flags';
  let request = selection.pressure;
  if (request === undefined) {
    if (!hasTable(db, 'campaign_settings')) return null;
    request = getSettings(db).pressure[selection.channel];
    origin = 'store default';
    if (request === undefined) return null;
  }
  if (!Number.isInteger(request.maxSends) || request.maxSends < 1) throw new SelectionError(`--max-sends ${request.maxSends}: expected a whole number above 0`);
  checkPeriod(request.period);
  return { maxSends: request.maxSends, period: request.period, since: cutoffDate(request.period, today), origin };
}
