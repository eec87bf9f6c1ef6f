/** "3y", "18m", "90d", "6w" or a date, to the cutoff day 'yyyy-mm-dd' counted back from `asOf`. */
export class DurationError extends Error {}

export function cutoffDate(spec: string, asOf: string): string {
  const value = spec.trim().toLowerCase();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    if (Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new DurationError(`"${spec}" is not a date`);
    return value;
  }
  const m = /^(\d{1,4})\s*(d|days?|w|weeks?|m|months?|y|years?|j|jours?|mois|ans?)$/.exec(value);
  if (!m) throw new DurationError(`"${spec}" is not a duration (e.g. 3y, 18m, 90d, 6w) or a date (yyyy-mm-dd)`);
  const n = Number(m[1]);
  const unit = m[2]!;
  const date = new Date(`${asOf}T00:00:00Z`);
  if (/^(d|day|days|j|jour|jours)$/.test(unit)) date.setUTCDate(date.getUTCDate() - n);
  else if (/^(w|week|weeks)$/.test(unit)) date.setUTCDate(date.getUTCDate() - 7 * n);
  else if (/^(m|month|months|mois)$/.test(unit)) date.setUTCMonth(date.getUTCMonth() - n);
  else date.setUTCFullYear(date.getUTCFullYear() - n);
  return date.toISOString().slice(0, 10);
}
