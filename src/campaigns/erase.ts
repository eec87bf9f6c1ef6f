/**
 * What erasure (src/gdpr/erase.ts) does to the campaigns stage's tables, for the records in `within`
 * (an SQL list of contact ids). Campaign figures stay right, the person's data goes:
 * - export_members: the row stays (the campaign's size and rates), its address hash is emptied; it
 *   points at the tombstone, which holds nothing;
 * - campaign_events: one event of each kind stays per campaign, without its time;
 * - postal_returns: deleted (an address hash and a date about the person);
 * - campaign_unmatched: rows of results or returns files holding the person's address are emptied.
 */
import type { Db } from '../store/db.js';
import { cellMatcher, type Identifiers } from '../gdpr/identifiers.js';

function has(db: Db, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

export function eraseCampaignData(db: Db, within: string, ids: Identifiers): Record<string, number> {
  const changed: Record<string, number> = {};
  const count = (table: string, n: number): void => {
    if (n > 0) changed[table] = (changed[table] ?? 0) + n;
  };
  if (!has(db, 'export_members')) return changed;
  count('export_members', db.prepare(`UPDATE export_members SET address_hash = NULL WHERE contact_id IN (${within}) AND address_hash IS NOT NULL`).run().changes);
  db.prepare(
    `INSERT OR IGNORE INTO campaign_events (export_id, contact_id, event, at, import_id)
     SELECT DISTINCT export_id, contact_id, event, '', NULL FROM campaign_events WHERE contact_id IN (${within}) AND at <> ''`,
  ).run();
  count('campaign_events', db.prepare(`DELETE FROM campaign_events WHERE contact_id IN (${within}) AND at <> ''`).run().changes);
  count('campaign_events', db.prepare(`UPDATE campaign_events SET import_id = NULL WHERE contact_id IN (${within}) AND import_id IS NOT NULL`).run().changes);
  count('postal_returns', db.prepare(`DELETE FROM postal_returns WHERE contact_id IN (${within})`).run().changes);
  const holds = cellMatcher(ids);
  const scrub = db.prepare('UPDATE campaign_unmatched SET raw = ?, reason = ? WHERE import_id = ? AND row_number = ?');
  const rows = db.prepare('SELECT import_id, row_number, raw FROM campaign_unmatched').all() as { import_id: number; row_number: number; raw: string }[];
  for (const row of rows) {
    const cells = JSON.parse(row.raw) as unknown[];
    if (!cells.some(holds)) continue;
    count('campaign_unmatched', scrub.run(JSON.stringify(cells.map(() => '')), "erased (GDPR): the row held a person's data", row.import_id, row.row_number).changes);
  }
  return changed;
}
