/** Validation settings kept in the store between commands (e.g. the default country chosen with --country). */
import type { Db } from '../store/db.js';

export type SettingKey = 'default_country' | 'require';

export function getSetting(db: Db, key: SettingKey): string | null {
  const row = db.prepare('SELECT value FROM validate_settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setSetting(db: Db, key: SettingKey, value: string): void {
  db.prepare('INSERT INTO validate_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
