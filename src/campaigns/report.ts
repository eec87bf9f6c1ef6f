/**
 * What each campaign became: its size, channel and segments, and once results are in, how many members
 * were delivered, opened, clicked, bounced, unsubscribed or complained, with rates; one campaign broken
 * down by segment and by RFM cell (as each member had them when the list left, kept with the member:
 * later score runs change nothing). All in SQL.
 */
import type { Db } from '../store/db.js';
import { CampaignError } from './lookup.js';

export interface Outcomes {
  members: number;
  /** Members the tool reported delivered (or opened or clicked); without delivery events, members less bounces. */
  delivered: number;
  /** True when the file had no delivery events and `delivered` is members less bounces (how Mailchimp counts it). */
  deliveredEstimated: boolean;
  opened: number;
  clicked: number;
  bounced: number;
  hardBounced: number;
  softBounced: number;
  unsubscribed: number;
  complained: number;
  /** Shares, 0-1: delivered and bounced of members; the others of delivered. */
  rates: { delivered: number; opened: number; clicked: number; bounced: number; unsubscribed: number; complained: number };
}

export interface CampaignSummary {
  id: number;
  createdAt: string;
  name: string | null;
  channel: string;
  /** Rows written (people; seeds not counted). */
  size: number;
  segments: string[];
  tags: string[];
  where: string | null;
  scoreRun: number | null;
  includeUnconsented: boolean;
  /** False when marked not sent (campaigns not-sent, export --preview): no pressure count, no results. */
  sent: boolean;
  notSent: { at: string; reason: string | null } | null;
  tool: string | null;
  toolCampaign: string | null;
  /** Null until a results file was read for it. */
  results: Outcomes | null;
  postalReturns: number;
}

/** Per member: one flag per event (0/1), from the campaign's events. */
const FLAGS = `SELECT contact_id,
    max(event IN ('delivered', 'opened', 'clicked')) AS d, max(event = 'opened' OR event = 'clicked') AS o, max(event = 'clicked') AS k,
    max(event = 'hard_bounce') AS hb, max(event = 'soft_bounce') AS sb, max(event = 'unsubscribed') AS u, max(event = 'complained') AS x
  FROM campaign_events WHERE export_id = ? GROUP BY contact_id`;

/** Sums over members (m) joined to their flags (f). */
const SUMS = `count(*) AS members, coalesce(sum(f.d), 0) AS d, coalesce(sum(f.o), 0) AS o, coalesce(sum(f.k), 0) AS k,
  coalesce(sum(f.hb OR f.sb), 0) AS b, coalesce(sum(f.hb), 0) AS hb, coalesce(sum(f.sb AND NOT f.hb), 0) AS sb,
  coalesce(sum(f.u), 0) AS u, coalesce(sum(f.x), 0) AS x`;

interface Sums {
  members: number;
  d: number;
  o: number;
  k: number;
  b: number;
  hb: number;
  sb: number;
  u: number;
  x: number;
}

function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 10_000) / 10_000 : 0;
}

function outcomes(s: Sums, hasDeliveries: boolean): Outcomes {
  const delivered = hasDeliveries ? s.d : Math.max(0, s.members - s.b);
  return {
    members: s.members,
    delivered,
    deliveredEstimated: !hasDeliveries,
    opened: s.o,
    clicked: s.k,
    bounced: s.b,
    hardBounced: s.hb,
    softBounced: s.sb,
    unsubscribed: s.u,
    complained: s.x,
    rates: {
      delivered: ratio(delivered, s.members),
      opened: ratio(s.o, delivered),
      clicked: ratio(s.k, delivered),
      bounced: ratio(s.b, s.members),
      unsubscribed: ratio(s.u, delivered),
      complained: ratio(s.x, delivered),
    },
  };
}

interface Raw {
  id: number;
  created_at: string;
  name: string | null;
  channel: string;
  row_count: number;
  selection: string;
  include_unconsented: number;
  tool: string | null;
  tool_campaign_id: string | null;
  tool_campaign_name: string | null;
  not_sent_at: string | null;
  not_sent_reason: string | null;
}

function summarise(db: Db, r: Raw): CampaignSummary {
  const selection = JSON.parse(r.selection) as { segments?: string[]; tags?: string[]; where?: string | null; run?: number | null };
  const hasResults = db.prepare('SELECT 1 FROM campaign_events WHERE export_id = ? LIMIT 1').get(r.id) !== undefined;
  let results: Outcomes | null = null;
  if (hasResults) {
    const sums = db.prepare(`SELECT ${SUMS} FROM export_members m LEFT JOIN (${FLAGS}) f ON f.contact_id = m.contact_id WHERE m.export_id = ?`).get(r.id, r.id) as Sums;
    const deliveries = db.prepare("SELECT 1 FROM campaign_events WHERE export_id = ? AND event = 'delivered' LIMIT 1").get(r.id) !== undefined;
    results = outcomes(sums, deliveries);
  }
  return {
    id: r.id,
    createdAt: r.created_at,
    name: r.name,
    channel: r.channel,
    size: r.row_count,
    segments: selection.segments ?? [],
    tags: selection.tags ?? [],
    where: selection.where ?? null,
    scoreRun: selection.run ?? null,
    includeUnconsented: r.include_unconsented === 1,
    sent: r.not_sent_at === null,
    notSent: r.not_sent_at === null ? null : { at: r.not_sent_at, reason: r.not_sent_reason },
    tool: r.tool,
    toolCampaign: r.tool_campaign_name ?? r.tool_campaign_id,
    results,
    postalReturns: (db.prepare('SELECT count(*) FROM postal_returns WHERE export_id = ?').pluck().get(r.id) as number),
  };
}

const LIST = `SELECT e.id, e.created_at, k.name, e.channel, e.row_count, e.selection, e.include_unconsented, k.tool, k.tool_campaign_id, k.tool_campaign_name,
    k.not_sent_at, k.not_sent_reason
  FROM exports e LEFT JOIN campaigns k ON k.export_id = e.id`;

/** The most recent campaigns first. */
export function listCampaigns(db: Db, options: { limit?: number; channel?: string } = {}): CampaignSummary[] {
  const rows = db
    .prepare(`${LIST} ${options.channel ? 'WHERE e.channel = ?' : ''} ORDER BY e.id DESC LIMIT ?`)
    .all(...(options.channel ? [options.channel] : []), options.limit ?? -1) as Raw[];
  return rows.map((r) => summarise(db, r));
}

export interface Breakdown extends Outcomes {
  group: string;
}

export interface CampaignDetail extends CampaignSummary {
  bySegment: Breakdown[];
  byRfmCell: Breakdown[];
}

export function showCampaign(db: Db, id: number): CampaignDetail {
  const raw = db.prepare(`${LIST} WHERE e.id = ?`).get(id) as Raw | undefined;
  if (!raw) throw new CampaignError(`campaign ${id}: no such campaign (see "custkit campaigns")`);
  const summary = summarise(db, raw);
  const deliveries = db.prepare("SELECT 1 FROM campaign_events WHERE export_id = ? AND event = 'delivered' LIMIT 1").get(id) !== undefined;
  const by = (group: string): Breakdown[] => {
    const rows = db
      .prepare(
        `SELECT ${group} AS grp, ${SUMS}
         FROM export_members m LEFT JOIN (${FLAGS}) f ON f.contact_id = m.contact_id
         WHERE m.export_id = ? GROUP BY grp ORDER BY members DESC, grp`,
      )
      .all(id, id) as (Sums & { grp: string })[];
    return rows.map((r) => ({ group: r.grp, ...outcomes(r, deliveries) }));
  };
  return {
    ...summary,
    bySegment: by("coalesce(m.segment, '(not scored)')"),
    byRfmCell: by("coalesce(m.rfm_cell, '(not scored)')"),
  };
}
