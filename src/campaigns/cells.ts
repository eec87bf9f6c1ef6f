/** Cells of a results or returns file as text, and event times as 'yyyy-mm-dd hh:mm:ss' (UTC). */
import type { Cell } from '../io/readers.js';

export function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return cell.toISOString();
  return String(cell);
}

function fromDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * An event's time as the tools write it: ISO 8601 (with or without a zone), Unix seconds (Brevo's ts_*)
 * or milliseconds (HubSpot's created), a workbook date, or a day first date (31/01/2026 10:02, read
 * month first only when the first number cannot be a month). '' when there is none or it cannot be read:
 * the event is still kept, once, without a time.
 */
export function isoTime(cell: Cell | undefined): string {
  if (cell instanceof Date) return fromDate(cell);
  if (typeof cell === 'number') return cell > 1e11 ? fromDate(new Date(cell)) : cell > 1e8 ? fromDate(new Date(cell * 1000)) : '';
  const text = cellText(cell).trim();
  if (text === '') return '';
  if (/^\d{13}$/.test(text)) return fromDate(new Date(Number(text)));
  if (/^\d{9,10}$/.test(text)) return fromDate(new Date(Number(text) * 1000));
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$/i.exec(text);
  if (iso) {
    const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = iso;
    const base = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
    const z = zone === undefined || /^utc$/i.test(zone) ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    return fromDate(new Date(base + z));
  }
  const dmy = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?)?$/i.exec(text);
  if (dmy) {
    let [a, b] = [Number(dmy[1]), Number(dmy[2])];
    if (b > 12 && a <= 12) [a, b] = [b, a]; // 01/31/2026: month first
    let hour = Number(dmy[4] ?? 0);
    if (dmy[7]?.toLowerCase() === 'pm' && hour < 12) hour += 12;
    if (dmy[7]?.toLowerCase() === 'am' && hour === 12) hour = 0;
    return fromDate(new Date(Date.UTC(Number(dmy[3]), b - 1, a, hour, Number(dmy[5] ?? 0), Number(dmy[6] ?? 0))));
  }
  return '';
}
