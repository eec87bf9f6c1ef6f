/** A campaign (an export) named by its number, its name (export --name), or a mailing tool's campaign id or name. */
import type { Db } from '../store/db.js';

export class CampaignError extends Error {}

export interface CampaignRef {
  id: number;
  name: string | null;
  channel: string;
  createdAt: string;
  toolCampaignId: string | null;
  toolCampaignName: string | null;
}

const SELECT = `SELECT e.id, k.name, e.channel, e.created_at AS createdAt, k.tool_campaign_id AS toolCampaignId, k.tool_campaign_name AS toolCampaignName
  FROM exports e LEFT JOIN campaigns k ON k.export_id = e.id`;

/**
 * 'id': the export number ("12" or "#12"). 'tool id': a tool's campaign id learnt before. 'name': the
 * campaign's own name or the tool's campaign name, case-insensitively; the most recent when several share it.
 */
export function findCampaign(db: Db, value: string, by: 'id' | 'tool id' | 'name'): CampaignRef | null {
  const text = value.trim();
  if (by === 'id') {
    const m = /^#?(\d+)$/.exec(text);
    return m ? ((db.prepare(`${SELECT} WHERE e.id = ?`).get(Number(m[1])) as CampaignRef | undefined) ?? null) : null;
  }
  if (by === 'tool id') {
    const found = db.prepare(`${SELECT} WHERE k.tool_campaign_id = ? ORDER BY e.id DESC LIMIT 1`).get(text) as CampaignRef | undefined;
    return found ?? null;
  }
  const found = db.prepare(`${SELECT} WHERE lower(k.name) = lower(?) OR lower(k.tool_campaign_name) = lower(?) ORDER BY e.id DESC LIMIT 1`).get(text, text) as CampaignRef | undefined;
  return found ?? null;
}

/** A campaign file read before: the same bytes, the same kind and the same --campaign (or none). */
export interface EarlierRead {
  importId: number;
  importedAt: string;
}

/** The earlier read of these bytes, if any: reading them again would change nothing. */
export function earlierRead(db: Db, sha256: string, kind: 'results' | 'returns', campaignOption: string | number | undefined): EarlierRead | null {
  const row = db
    .prepare('SELECT id, imported_at FROM campaign_imports WHERE sha256 = ? AND kind = ? AND campaign_option IS ? ORDER BY id LIMIT 1')
    .get(sha256, kind, campaignOption ?? null) as { id: number; imported_at: string } | undefined;
  return row ? { importId: row.id, importedAt: row.imported_at } : null;
}
