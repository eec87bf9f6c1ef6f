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
  /** When it was marked not sent (campaigns not-sent, export --preview); null: sent. */
  notSentAt: string | null;
}

const SELECT = `SELECT e.id, k.name, e.channel, e.created_at AS createdAt, k.tool_campaign_id AS toolCampaignId, k.tool_campaign_name AS toolCampaignName,
    k.not_sent_at AS notSentAt
  FROM exports e LEFT JOIN campaigns k ON k.export_id = e.id`;

/** Exports marked not sent, as a condition on `e.id`: a set read once per statement, not a probe per row. */
export const NOT_SENT_IDS = 'SELECT export_id FROM campaigns WHERE not_sent_at IS NOT NULL';

/** A results or returns file cannot belong to a campaign that was never sent: why, and how to say it was. */
export function notSentRefusal(ref: CampaignRef, what: string): string {
  return `campaign #${ref.id}${ref.name ? ` "${ref.name}"` : ''} is marked not sent (since ${ref.notSentAt!.slice(0, 10)}): ${what}; if it was sent after all, run "custkit campaigns not-sent ${ref.id} --undo" first`;
}

/**
 * 'id': the export number ("12" or "#12"). 'tool id': a tool's campaign id learnt before. 'name': the
 * campaign's own name or the tool's campaign name, case-insensitively; the most recent when several share it.
 * By tool id or name, a campaign sent comes before one marked not sent (a preview named like the send).
 */
export function findCampaign(db: Db, value: string, by: 'id' | 'tool id' | 'name'): CampaignRef | null {
  const text = value.trim();
  if (by === 'id') {
    const m = /^#?(\d+)$/.exec(text);
    return m ? ((db.prepare(`${SELECT} WHERE e.id = ?`).get(Number(m[1])) as CampaignRef | undefined) ?? null) : null;
  }
  const order = 'ORDER BY k.not_sent_at IS NOT NULL, e.id DESC LIMIT 1';
  if (by === 'tool id') {
    const found = db.prepare(`${SELECT} WHERE k.tool_campaign_id = ? ${order}`).get(text) as CampaignRef | undefined;
    return found ?? null;
  }
  const found = db.prepare(`${SELECT} WHERE lower(k.name) = lower(?) OR lower(k.tool_campaign_name) = lower(?) ${order}`).get(text, text) as CampaignRef | undefined;
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
