import type { Db } from '../../src/store/db.js';

/** Every (table, column, rowid) of the store whose text holds one of the needles (case ignored). */
export function cellsHolding(db: Db, needles: readonly string[]): string[] {
  const lower = needles.map((n) => n.toLowerCase());
  const found: string[] = [];
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  for (const table of tables) {
    for (const row of db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>) {
      for (const [column, value] of Object.entries(row)) {
        if (typeof value !== 'string') continue;
        const text = value.toLowerCase();
        const digits = text.replace(/\D/g, '');
        for (const needle of lower) {
          const needleDigits = /^[\d\s+().-]+$/.test(needle) ? needle.replace(/\D/g, '') : '';
          if (text.includes(needle) || (needleDigits.length >= 9 && digits.includes(needleDigits))) found.push(`${table}.${column}: ${needle}`);
        }
      }
    }
  }
  return found;
}

/** True when the file's bytes hold the text (UTF-8), in its case or in lower case. */
export function bytesHold(bytes: Buffer, text: string): boolean {
  return bytes.includes(Buffer.from(text, 'utf8')) || bytes.includes(Buffer.from(text.toLowerCase(), 'utf8'));
}
