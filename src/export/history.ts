import type { Db } from '../store/db.js';

/** One recorded export, as `custkit exports` shows it. */
export interface ExportRecord {
  id: number;
  created_at: string;
  os_user: string | null;
  channel: string;
  include_unconsented: boolean;
  selection: Record<string, unknown>;
  format: string;
  options: Record<string, unknown>;
  destination: string;
  row_count: number;
  seed_count: number;
  sha256: string;
  files: { path: string; rows: number; sha256: string }[];
}

interface Raw extends Omit<ExportRecord, 'selection' | 'options' | 'files' | 'include_unconsented'> {
  selection: string;
  options: string;
  files: string;
  include_unconsented: number;
}

export function listExports(db: Db, options: { limit?: number; id?: number } = {}): ExportRecord[] {
  const rows = (
    options.id !== undefined
      ? db.prepare('SELECT * FROM exports WHERE id = ?').all(options.id)
      : db.prepare('SELECT * FROM exports ORDER BY id DESC LIMIT ?').all(options.limit ?? -1)
  ) as Raw[];
  return rows.map((r) => ({
    ...r,
    include_unconsented: r.include_unconsented === 1,
    selection: JSON.parse(r.selection) as Record<string, unknown>,
    options: JSON.parse(r.options) as Record<string, unknown>,
    files: JSON.parse(r.files) as ExportRecord['files'],
  }));
}

/** The selection in a few words: "segments champions, loyal; where r >= 4; limit 100". */
export function describeSelection(selection: Record<string, unknown>): string {
  const parts: string[] = [];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  if (list(selection.segments).length) parts.push(`segment ${list(selection.segments).join(', ')}${selection.run ? ` (run ${String(selection.run)})` : ''}`);
  if (list(selection.tags).length) parts.push(`tag ${list(selection.tags).join(', ')}`);
  if (selection.where) parts.push(`where ${String(selection.where)}`);
  if (selection.status && selection.status !== 'active') parts.push(`status ${String(selection.status)}`);
  if (selection.limit) parts.push(`limit ${String(selection.limit)}`);
  return parts.join('; ') || 'all';
}
