/**
 * Campaign results for the report: the latest campaigns sent on or before the report's date whose
 * results were read (`custkit campaigns results`), with the same figures `custkit campaigns` prints.
 */
import type { Db } from '../store/db.js';
import { listCampaigns, type Outcomes } from '../campaigns/report.js';

export interface CampaignResultRow {
  id: number;
  name: string | null;
  channel: string;
  sentOn: string;
  size: number;
  results: Outcomes;
}

/** How many campaigns the report shows, newest first. */
export const REPORT_CAMPAIGNS = 10;

export function campaignResults(db: Db, asOf: string, limit = REPORT_CAMPAIGNS): CampaignResultRow[] {
  // Only campaigns with results are listed, so look at the ids that have events, newest first.
  const ids = new Set(
    db
      .prepare('SELECT e.id FROM exports e WHERE substr(e.created_at, 1, 10) <= ? AND EXISTS (SELECT 1 FROM campaign_events v WHERE v.export_id = e.id) ORDER BY e.id DESC LIMIT ?')
      .pluck()
      .all(asOf, limit) as number[],
  );
  if (ids.size === 0) return [];
  const oldest = Math.min(...ids);
  const newer = db.prepare('SELECT count(*) FROM exports WHERE id >= ?').pluck().get(oldest) as number;
  return listCampaigns(db, { limit: newer })
    .filter((c) => ids.has(c.id) && c.results !== null)
    .map((c) => ({ id: c.id, name: c.name, channel: c.channel, sentOn: c.createdAt.slice(0, 10), size: c.size, results: c.results! }));
}
