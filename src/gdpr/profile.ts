/**
 * Everything the store says about one person, summarised for a person at a terminal (`contact show`):
 * their fields, attributes, consents per channel (current choice and history), purchases in figures,
 * scores and segments (latest run and history), and the merges they were part of.
 */
import type { Db } from '../store/db.js';
import { CHANNELS, type Channel, type Uid } from '../store/types.js';

/** The person's records: the contact and every record merged into it, at any depth. */
export function personIds(db: Db, id: number): number[] {
  return db
    .prepare(
      `WITH RECURSIVE person(id) AS (SELECT ? UNION SELECT c.id FROM contacts c JOIN person p ON c.merged_into = p.id WHERE c.status = 'merged')
       SELECT id FROM person ORDER BY id`,
    )
    .pluck()
    .all(id) as number[];
}

export function inList(ids: readonly number[]): string {
  return ids.map((id) => String(Math.trunc(id))).join(', ');
}

export interface ConsentRow {
  channel: Channel;
  status: 'granted' | 'withdrawn';
  recorded_at: string;
  source: string | null;
  proof: string | null;
  import_id: number | null;
}

export interface PurchaseSummary {
  lines: number;
  orders: number;
  first_at: string | null;
  last_at: string | null;
  totals: Array<{ currency: string; net_minor: number }>;
  categories: Array<{ category: string; net_minor: number; currency: string }>;
}

export interface ScoreRow {
  run_id: number;
  as_of: string;
  method: string;
  segment: string;
  r_score: number | null;
  f_score: number | null;
  m_score: number | null;
  recency_days: number | null;
  frequency: number;
  monetary_minor: number;
  clv_minor: number | null;
  p_alive: number | null;
}

export interface MergeRow {
  merge_id: number;
  created_at: string;
  undone_at: string | null;
  survivor_uid: Uid;
  merged_uids: Uid[];
  role: 'survivor' | 'merged';
}

export interface ContactProfile {
  contact: Record<string, unknown>;
  tags: string[];
  attributes: Record<string, unknown>;
  /** Records merged into this one (same person), by uid. */
  merged_records: Uid[];
  consents: { current: Partial<Record<Channel, ConsentRow>>; history: ConsentRow[] };
  purchases: PurchaseSummary;
  scores: { latest: ScoreRow | null; history: ScoreRow[] };
  merges: MergeRow[];
}

/** Columns shown as the contact's fields: everything but internal ids and the JSON kept apart. */
const HIDDEN = new Set(['id', 'tags', 'attributes', 'merged_into', 'first_import_id', 'last_import_id', 'validated_key']);

function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function contactProfile(db: Db, id: number): ContactProfile {
  const row = db.prepare('SELECT * FROM contacts WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  if (!row) throw new Error(`contact ${id} is not in the store`);
  const ids = personIds(db, id);
  const within = inList(ids);
  const contact: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (!HIDDEN.has(key)) contact[key] = value;
  if (typeof row.merged_into === 'number') {
    contact.merged_into = db.prepare('SELECT uid FROM contacts WHERE id = ?').pluck().get(row.merged_into);
  }

  const history = db
    .prepare(`SELECT channel, status, recorded_at, source, proof, import_id FROM consents WHERE contact_id IN (${within}) ORDER BY recorded_at, id`)
    .all() as ConsentRow[];
  const current: ContactProfile['consents']['current'] = {};
  for (const consent of history) current[consent.channel] = consent; // rows are in (recorded_at, id) order: the last wins
  const ordered: ContactProfile['consents']['current'] = {};
  for (const channel of CHANNELS) if (current[channel]) ordered[channel] = current[channel];

  const purchases = db
    .prepare(`SELECT count(*) AS lines, min(ordered_at) AS first_at, max(ordered_at) AS last_at FROM purchases WHERE contact_id IN (${within})`)
    .get() as Omit<PurchaseSummary, 'orders' | 'totals' | 'categories'>;
  // An order is an order_ref whose net amount is positive (CONTRIBUTING.md): returns do not count.
  const orders = db
    .prepare(`SELECT count(*) FROM (SELECT 1 FROM purchases WHERE contact_id IN (${within}) GROUP BY source, order_ref HAVING sum(amount_minor) > 0)`)
    .pluck()
    .get() as number;
  const totals = db
    .prepare(`SELECT currency, sum(amount_minor) AS net_minor FROM purchases WHERE contact_id IN (${within}) GROUP BY currency ORDER BY net_minor DESC`)
    .all() as PurchaseSummary['totals'];
  const categories = db
    .prepare(`SELECT category, currency, sum(amount_minor) AS net_minor FROM purchases WHERE contact_id IN (${within}) AND category IS NOT NULL
              GROUP BY category, currency ORDER BY net_minor DESC LIMIT 10`)
    .all() as PurchaseSummary['categories'];

  const scores = db
    .prepare(`SELECT s.run_id, r.as_of, r.method, s.segment, s.r_score, s.f_score, s.m_score, s.recency_days, s.frequency,
                     s.monetary_minor, s.clv_minor, s.p_alive
              FROM scores s JOIN score_runs r ON r.id = s.run_id WHERE s.contact_id = ? ORDER BY s.run_id`)
    .all(id) as ScoreRow[];
  const latestRun = db.prepare('SELECT max(id) FROM score_runs').pluck().get() as number | null;

  const merges = db
    .prepare(`SELECT m.id AS merge_id, m.created_at, m.undone_at, s.uid AS survivor_uid, m.survivor_id,
                     (SELECT json_group_array(c.uid) FROM merge_members mm JOIN contacts c ON c.id = mm.contact_id WHERE mm.merge_id = m.id) AS merged
              FROM merges m JOIN contacts s ON s.id = m.survivor_id
              WHERE m.survivor_id IN (${within}) OR m.id IN (SELECT merge_id FROM merge_members WHERE contact_id IN (${within}))
              ORDER BY m.id`)
    .all() as Array<Omit<MergeRow, 'merged_uids' | 'role'> & { survivor_id: number; merged: string }>;

  return {
    contact,
    tags: parseJson<string[]>(row.tags, []),
    attributes: parseJson<Record<string, unknown>>(row.attributes, {}),
    merged_records: ids.length > 1 ? (db.prepare(`SELECT uid FROM contacts WHERE id IN (${within}) AND id != ? ORDER BY id`).pluck().all(id) as Uid[]) : [],
    consents: { current: ordered, history },
    purchases: { ...purchases, orders, totals, categories },
    scores: { latest: scores.find((s) => s.run_id === latestRun) ?? null, history: scores },
    merges: merges.map(({ survivor_id, merged, ...m }) => ({
      ...m,
      merged_uids: parseJson<Uid[]>(merged, []),
      role: ids.includes(survivor_id) ? 'survivor' : 'merged',
    })),
  };
}
