/**
 * A campaign marked not sent: an export made to look at a list (or cut short before the send). It stays
 * in the export log (a file of personal data was written) and keeps its members, so that it can be
 * marked sent again; meanwhile it leaves the marketing-pressure cap (PRESSURED_SQL), takes no results or
 * postal returns, and `campaigns` lists it as not sent. A campaign with results or returns was sent:
 * marking it not sent is refused.
 */
import type { Db } from '../store/db.js';
import { nowIso } from '../export/keys.js';
import { recordAudit } from '../gdpr/audit.js';
import { CampaignError, findCampaign } from './lookup.js';

export interface NotSentChange {
  id: number;
  name: string | null;
  /** False when the campaign already was in the state asked for: nothing was written. */
  changed: boolean;
  /** The state now: when it was marked not sent (null: sent), and why. */
  notSentAt: string | null;
  reason: string | null;
  /** Members it held: the people who leave (or come back into) the pressure cap's count. */
  members: number;
}

function campaignOf(db: Db, id: number): { id: number; name: string | null; notSentAt: string | null; reason: string | null } {
  const ref = findCampaign(db, String(id), 'id');
  if (!ref) throw new CampaignError(`campaign ${id}: no such campaign (see "custkit campaigns")`);
  const reason = db.prepare('SELECT not_sent_reason FROM campaigns WHERE export_id = ?').pluck().get(id) as string | null | undefined;
  return { id: ref.id, name: ref.name, notSentAt: ref.notSentAt, reason: reason ?? null };
}

function membersOf(db: Db, id: number): number {
  return db.prepare('SELECT count(*) FROM export_members WHERE export_id = ?').pluck().get(id) as number;
}

/** Marks an export not sent, in one transaction with its audit entry (`reason`: the user's words, optional). */
export function markNotSent(db: Db, id: number, reason: string | null = null): NotSentChange {
  return db.transaction((): NotSentChange => {
    const campaign = campaignOf(db, id);
    const members = membersOf(db, id);
    if (campaign.notSentAt !== null) return { id, name: campaign.name, changed: false, notSentAt: campaign.notSentAt, reason: campaign.reason, members };
    const events = db.prepare('SELECT count(*) FROM campaign_events WHERE export_id = ?').pluck().get(id) as number;
    const returns = db.prepare('SELECT count(*) FROM postal_returns WHERE export_id = ?').pluck().get(id) as number;
    if (events > 0 || returns > 0) {
      const what = [events > 0 ? `${events} result event(s) from the mailing tool` : '', returns > 0 ? `${returns} postal return(s)` : ''].filter(Boolean).join(' and ');
      throw new CampaignError(`campaign #${id}: it has ${what}, so it was sent; it stays a campaign (nothing was changed)`);
    }
    const at = nowIso();
    db.prepare(
      `INSERT INTO campaigns (export_id, not_sent_at, not_sent_reason) VALUES (?, ?, ?)
       ON CONFLICT (export_id) DO UPDATE SET not_sent_at = excluded.not_sent_at, not_sent_reason = excluded.not_sent_reason`,
    ).run(id, at, reason);
    recordAudit(db, { action: 'campaigns.not-sent', counts: { members }, details: { export_id: id, reason } });
    return { id, name: campaign.name, changed: true, notSentAt: at, reason, members };
  })();
}

/** Undoes markNotSent: the export is a campaign sent again (it counts toward the cap, takes results). */
export function markSent(db: Db, id: number): NotSentChange {
  return db.transaction((): NotSentChange => {
    const campaign = campaignOf(db, id);
    const members = membersOf(db, id);
    if (campaign.notSentAt === null) return { id, name: campaign.name, changed: false, notSentAt: null, reason: null, members };
    db.prepare('UPDATE campaigns SET not_sent_at = NULL, not_sent_reason = NULL WHERE export_id = ?').run(id);
    recordAudit(db, { action: 'campaigns.sent', counts: { members }, details: { export_id: id, was_not_sent_since: campaign.notSentAt } });
    return { id, name: campaign.name, changed: true, notSentAt: null, reason: null, members };
  })();
}
