/**
 * A mailing tool's campaign report or activity export, read into the store in one transaction: each row
 * is matched to a campaign member by the hash of its address, and its events are kept once each
 * (campaign_events' key is member, event and time, so a file read twice, or two overlapping files,
 * add nothing twice). Then what the events mean is applied: hard bounces, unsubscribes and spam
 * complaints suppress the address (source: the campaign); a soft bounce suppresses it once it is the
 * Nth in a row; a click moves the contact's last activity forward (an open does not). Rows that match
 * no member are kept and counted, like import rejects.
 */
import path from 'node:path';
import { inWriteTransaction, type Db } from '../store/db.js';
import type { Cell } from '../io/readers.js';
import { inspectFile, openTables } from '../io/tables.js';
import { emailHash, looksLikeEmail, normaliseEmail, normalisePhone, nowIso, osUser, phoneHash } from '../export/keys.js';
import { recordAudit } from '../gdpr/audit.js';
import { marks, planColumns, readEvent, toolOf, type CampaignEvent, type ColumnPlan } from './vocabulary.js';
import { getSettings } from './settings.js';
import { CampaignError, earlierRead, findCampaign, NOT_SENT_IDS, notSentRefusal, type CampaignRef, type EarlierRead } from './lookup.js';
import { cellText, isoTime } from './cells.js';
import { quoted, quotedList } from '../io/quote.js';

export interface ResultsOptions {
  /** The campaign (export id) every row belongs to; otherwise from the file's campaign columns or the address. */
  campaign?: number;
}

export interface ResultsSummary {
  file: string;
  tool: string | null;
  /** Set when these exact bytes were read before: nothing was changed. */
  alreadyImported: EarlierRead | null;
  importId: number | null;
  rows: number;
  matched: number;
  unmatched: number;
  eventsAdded: number;
  /** Events already in the store (an earlier file held them). */
  eventsKnown: number;
  /** Event words that mean nothing about the person (sent, dropped...), by word. */
  ignored: Record<string, number>;
  /** Event words not understood, by word (counted, not guessed). */
  unknown: Record<string, number>;
  /** How rows were tied to campaigns: campaign id -> rows, with how it was chosen. */
  campaigns: { id: number; name: string | null; rows: number; how: string }[];
  suppressed: { hardBounces: number; unsubscribes: number; complaints: number; softBounceStreaks: number };
  /** Unsubscribes and spam complaints recorded as a withdrawn consent on the campaign's channel. */
  consentsWithdrawn: number;
  activityMoved: number;
  /** The first unmatched rows (row number and why); all of them are kept in the store. */
  unmatchedRows: { row: number; reason: string }[];
}

interface Resolved {
  ref: CampaignRef;
  how: string;
}

/** Where a member of a campaign is found: its members' address hashes, read once per campaign. */
class Members {
  private readonly byCampaign = new Map<number, Map<string, number>>();
  constructor(private readonly db: Db) {}

  contactOf(exportId: number, hash: string): number | undefined {
    let map = this.byCampaign.get(exportId);
    if (!map) {
      map = new Map();
      for (const row of this.db.prepare('SELECT lower(hex(address_hash)), contact_id FROM export_members WHERE export_id = ? AND address_hash IS NOT NULL').raw(true).iterate(exportId) as IterableIterator<[string | null, number]>) {
        if (row[0] !== null) map.set(row[0], row[1]);
      }
      this.byCampaign.set(exportId, map);
    }
    return map.get(hash);
  }
}

interface Address {
  hash: string;
  keyType: 'email' | 'phone';
  text: string;
}

function addressOf(text: string): Address | null {
  if (looksLikeEmail(text)) {
    const email = normaliseEmail(text);
    return email ? { hash: emailHash(email), keyType: 'email', text: email } : null;
  }
  const phone = normalisePhone(text);
  return phone ? { hash: phoneHash(phone), keyType: 'phone', text: phone } : null;
}

const LISTED_UNMATCHED = 20;

export async function importResults(db: Db, file: string, options: ResultsOptions = {}): Promise<ResultsSummary> {
  const displayName = path.basename(file);
  const facts = await inspectFile(file);
  const summary: ResultsSummary = {
    file, tool: null, alreadyImported: null, importId: null, rows: 0, matched: 0, unmatched: 0, eventsAdded: 0, eventsKnown: 0,
    ignored: {}, unknown: {}, campaigns: [], suppressed: { hardBounces: 0, unsubscribes: 0, complaints: 0, softBounceStreaks: 0 }, consentsWithdrawn: 0, activityMoved: 0, unmatchedRows: [],
  };
  const fixed = options.campaign !== undefined ? findCampaign(db, String(options.campaign), 'id') : null;
  if (options.campaign !== undefined && !fixed) throw new CampaignError(`--campaign ${options.campaign}: no such campaign (see "custkit campaigns")`);
  if (fixed?.notSentAt) throw new CampaignError(`--campaign ${options.campaign}: ${notSentRefusal(fixed, 'no results can belong to it; nothing was read')}`);
  summary.alreadyImported = earlierRead(db, facts.sha256, 'results', options.campaign);
  if (summary.alreadyImported) return summary;

  const tables = await openTables({ file, displayName, encoding: 'auto', delimiter: 'auto' }, facts);
  const first = await tables.next();
  if (first.done) throw new CampaignError(`${displayName}: the file is empty`);
  const table = first.value;
  const members = new Members(db);
  const settings = getSettings(db);
  const now = nowIso();
  const insertEvent = db.prepare('INSERT OR IGNORE INTO campaign_events (export_id, contact_id, event, at, import_id) VALUES (?, ?, ?, ?, ?)');
  const insertUnmatched = db.prepare('INSERT INTO campaign_unmatched (import_id, row_number, raw, reason) VALUES (?, ?, ?, ?)');
  const byName = new Map<string, Resolved | null>();
  const used = new Map<number, { ref: CampaignRef; rows: number; how: string }>();
  // Members whose new events the effects below read.
  const touched = new Map<string, { exportId: number; contactId: number; hash: string; keyType: 'email' | 'phone' }>();
  let headers: string[] | null = null;
  let plan: ColumnPlan | null = null;
  let importId = 0;

  await inWriteTransaction(db, async () => {
    importId = Number(db.prepare("INSERT INTO campaign_imports (file_name, sha256, kind, campaign_option, imported_at, os_user) VALUES (?, ?, 'results', ?, ?, ?)").run(displayName, facts.sha256, options.campaign ?? null, now, osUser()).lastInsertRowid);
    const unmatched = (row: number, cells: Cell[], reason: string): void => {
      summary.unmatched++;
      insertUnmatched.run(importId, row, JSON.stringify(cells.map(cellText)), reason);
      if (summary.unmatchedRows.length < LISTED_UNMATCHED) summary.unmatchedRows.push({ row, reason });
    };
    const resolve = (cells: Cell[], address: Address): Resolved | string => {
      if (fixed) return { ref: fixed, how: 'given with --campaign' };
      // The file's campaign columns: the tool's id (learnt from an earlier file), then the name (the
      // campaign's own, from export --name, or the tool's). Neither known: by address, below.
      const named: string[] = [];
      let notSent: CampaignRef | null = null;
      for (const role of ['campaignId', 'campaignName'] as const) {
        const column = plan!.roles[role];
        const value = column === undefined ? '' : cellText(cells[column]).trim();
        if (value === '') continue;
        const key = `${role}:${value}`;
        if (!byName.has(key)) {
          const ref = findCampaign(db, value, role === 'campaignId' ? 'tool id' : 'name');
          byName.set(key, ref ? { ref, how: `named ${quoted(value)} in column ${quoted(headers![column!]!)}` } : null);
        }
        const found = byName.get(key);
        // A campaign marked not sent takes no results: the row goes by its address to a campaign sent.
        if (found && !found.ref.notSentAt) return found;
        if (found) notSent = found.ref;
        else named.push(quoted(value));
      }
      // The newest campaign of the address's kind that listed one of the records holding it, probed by
      // the members' key (export, contact), newest campaign first.
      const latest = db
        .prepare(
          `SELECT e.id FROM exports e WHERE e.channel IN (${address.keyType === 'email' ? "'email'" : "'sms', 'phone'"}) AND e.id NOT IN (${NOT_SENT_IDS})
             AND EXISTS (SELECT 1 FROM export_members m WHERE m.export_id = e.id AND m.address_hash = unhex(?)
               AND m.contact_id IN (SELECT id FROM contacts WHERE ${address.keyType === 'email' ? 'email_norm = ?' : 'sms_e164 = ? OR phone_e164 = ?'}))
           ORDER BY e.id DESC LIMIT 1`,
        )
        .pluck()
        .get(...(address.keyType === 'email' ? [address.hash, address.text] : [address.hash, address.text, address.text])) as number | undefined;
      if (latest === undefined) {
        if (notSent) return notSentRefusal(notSent, 'no results can belong to it, and no campaign sent holds this address');
        return named.length ? `campaign ${named.join(' / ')} is not known and no campaign holds this address: pass --campaign ID` : 'no campaign holds this address';
      }
      return { ref: findCampaign(db, String(latest), 'id')!, how: `the most recent campaign holding the address${named.length ? ` (the file's campaign ${named.join(' / ')} is not known yet)` : ''}` };
    };

    for await (const batch of table.batches) {
      for (let i = 0; i < batch.rows.length; i++) {
        const cells = batch.rows[i]!;
        const number = batch.numbers[i]!;
        if (headers === null) {
          headers = cells.map(cellText);
          plan = planColumns(headers);
          summary.tool = toolOf(headers);
          if (plan.roles.address === undefined) throw new CampaignError(`${displayName}: no email or phone column found (columns: ${quotedList(headers, 'columns')})`);
          if (plan.roles.event === undefined && plan.outcomes.size === 0) throw new CampaignError(`${displayName}: no event column (Event, Action, Metric, Type) and no outcome columns (Opened, Clicked, Bounced...) found (columns: ${quotedList(headers, 'columns')})`);
          continue;
        }
        if (cells.every((c) => cellText(c).trim() === '')) continue;
        summary.rows++;
        const p = plan!;
        const events: { event: CampaignEvent; at: string }[] = [];
        const at = p.roles.date === undefined ? '' : isoTime(cells[p.roles.date]);
        if (p.roles.event !== undefined) {
          const word = cellText(cells[p.roles.event]).trim();
          const event = readEvent(word, p.roles.bounceType === undefined ? null : cellText(cells[p.roles.bounceType]), p.roles.subscription === undefined ? null : cellText(cells[p.roles.subscription]));
          if (event === null) {
            summary.unknown[word] = (summary.unknown[word] ?? 0) + 1;
            continue;
          }
          if (event === 'ignored') {
            summary.ignored[word] = (summary.ignored[word] ?? 0) + 1;
            continue;
          }
          events.push({ event, at });
        } else {
          for (const [column, event] of p.outcomes) {
            const cell = cellText(cells[column]);
            if (marks(cell)) events.push({ event, at: isoTime(cells[column]) });
          }
          if (!events.length) continue;
        }
        const address = addressOf(cellText(cells[p.roles.address!]));
        if (!address) {
          unmatched(number, cells, `column ${quoted(headers[p.roles.address!]!)} holds no email address or phone number`);
          continue;
        }
        const resolved = resolve(cells, address);
        if (typeof resolved === 'string') {
          unmatched(number, cells, resolved);
          continue;
        }
        const contactId = members.contactOf(resolved.ref.id, address.hash);
        if (contactId === undefined) {
          unmatched(number, cells, `not a member of campaign #${resolved.ref.id}`);
          continue;
        }
        summary.matched++;
        const use = used.get(resolved.ref.id) ?? { ref: resolved.ref, rows: 0, how: resolved.how };
        use.rows++;
        used.set(resolved.ref.id, use);
        for (const e of events) {
          if (insertEvent.run(resolved.ref.id, contactId, e.event, e.at, importId).changes > 0) summary.eventsAdded++;
          else summary.eventsKnown++;
        }
        touched.set(`${resolved.ref.id}:${contactId}`, { exportId: resolved.ref.id, contactId, hash: address.hash, keyType: address.keyType });
        learnToolIds(db, resolved.ref, p, cells, summary.tool);
      }
    }
    if (headers === null) throw new CampaignError(`${displayName}: the file is empty`);
    applyEffects(db, [...touched.values()], settings.softBounceLimit, summary);
    summary.campaigns = [...used.values()].map((u) => ({ id: u.ref.id, name: u.ref.name, rows: u.rows, how: u.how }));
    db.prepare('UPDATE campaign_imports SET columns = ?, tool = ?, rows_read = ?, matched = ?, unmatched = ?, events_added = ?, counts = ? WHERE id = ?').run(
      JSON.stringify(headers), summary.tool, summary.rows, summary.matched, summary.unmatched, summary.eventsAdded,
      JSON.stringify({ suppressed: summary.suppressed, activity_moved: summary.activityMoved, campaigns: summary.campaigns.map((c) => c.id) }), importId,
    );
    recordAudit(db, {
      action: 'campaigns.results',
      counts: { rows: summary.rows, matched: summary.matched, unmatched: summary.unmatched, events: summary.eventsAdded, suppressed: Object.values(summary.suppressed).reduce((a, b) => a + b, 0), consents_withdrawn: summary.consentsWithdrawn, activity: summary.activityMoved },
      details: { import_id: importId, campaigns: summary.campaigns.map((c) => String(c.id)) },
    });
  });
  summary.importId = importId;
  return summary;
}

/** A campaign found by address or --campaign learns the tool's id and name for it, when the file has them. */
function learnToolIds(db: Db, ref: CampaignRef, plan: ColumnPlan, cells: Cell[], tool: string | null): void {
  if (ref.toolCampaignId !== null || ref.toolCampaignName !== null) return;
  const id = plan.roles.campaignId === undefined ? '' : cellText(cells[plan.roles.campaignId]).trim();
  const name = plan.roles.campaignName === undefined ? '' : cellText(cells[plan.roles.campaignName]).trim();
  if (id === '' && name === '') return;
  db.prepare(
    `INSERT INTO campaigns (export_id, tool, tool_campaign_id, tool_campaign_name) VALUES (?, ?, ?, ?)
     ON CONFLICT (export_id) DO UPDATE SET tool = excluded.tool, tool_campaign_id = excluded.tool_campaign_id, tool_campaign_name = excluded.tool_campaign_name`,
  ).run(ref.id, tool, id || null, name || null);
  ref.toolCampaignId = id || null;
  ref.toolCampaignName = name || null;
}

/**
 * What the members' events mean for the store, all set-based per member: suppressions (idempotent by
 * their unique hash and kind), soft-bounce streaks, and the last activity a click proves.
 */
function applyEffects(db: Db, touched: { exportId: number; contactId: number; hash: string; keyType: 'email' | 'phone' }[], softLimit: number, summary: ResultsSummary): void {
  const has = db.prepare('SELECT 1 FROM campaign_events WHERE export_id = ? AND contact_id = ? AND event = ? LIMIT 1').pluck();
  const suppress = db.prepare(
    `INSERT INTO suppressions (hash, key_type, kind, source, created_at, os_user) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hash, kind) DO NOTHING`,
  );
  const channelOf = db.prepare('SELECT channel, created_at FROM exports WHERE id = ?');
  // Campaigns with results, newest first; a member's soft-bounce history probes each by the members'
  // key (export, contact) until it has the last `softLimit` that listed the address.
  const withResults = db.prepare('SELECT e.id FROM exports e WHERE EXISTS (SELECT 1 FROM campaign_events r WHERE r.export_id = e.id) ORDER BY e.id DESC').pluck().all() as number[];
  const memberHash = db.prepare("SELECT nullif(lower(hex(address_hash)), '') FROM export_members WHERE export_id = ? AND contact_id = ?").pluck();
  const outcome = db.prepare(
    `SELECT EXISTS (SELECT 1 FROM campaign_events v WHERE v.export_id = @e AND v.contact_id = @c AND v.event = 'soft_bounce') AS soft,
            EXISTS (SELECT 1 FROM campaign_events v WHERE v.export_id = @e AND v.contact_id = @c AND v.event IN ('delivered', 'opened', 'clicked')) AS reached`,
  );
  const streak = (contactId: number, hash: string): boolean => {
    let seen = 0;
    for (const exportId of withResults) {
      if (memberHash.get(exportId, contactId) !== hash) continue;
      const o = outcome.get({ e: exportId, c: contactId }) as { soft: number; reached: number };
      if (o.soft !== 1 || o.reached === 1) return false;
      if (++seen === softLimit) return true;
    }
    return false;
  };
  const lastClick = db.prepare("SELECT max(at) FROM campaign_events WHERE export_id = ? AND contact_id = ? AND event = 'clicked'").pluck();
  const moveActivity = db.prepare(
    `UPDATE contacts SET last_activity_at = ? WHERE id = (SELECT coalesce(merged_into, id) FROM contacts WHERE id = ?) AND (last_activity_at IS NULL OR last_activity_at < ?)`,
  );
  // An unsubscribe or a spam complaint is also the person's choice on that channel: a consent row, so the
  // consent history (gdpr access, contact show) says when and where they withdrew, not only the suppression.
  const eventAt = db.prepare('SELECT min(at) FROM campaign_events WHERE export_id = ? AND contact_id = ? AND event IN (\'unsubscribed\', \'complained\')').pluck();
  const latestConsent = db.prepare('SELECT status FROM consents WHERE contact_id = ? AND channel = ? ORDER BY recorded_at DESC, id DESC LIMIT 1').pluck();
  const withdraw = db.prepare("INSERT INTO consents (contact_id, channel, status, recorded_at, source, proof) VALUES (?, ?, 'withdrawn', ?, ?, NULL)");
  const survivor = db.prepare("SELECT CASE WHEN status = 'merged' THEN merged_into ELSE id END FROM contacts WHERE id = ? AND status <> 'erased'").pluck();
  const created = nowIso();
  const user = osUser();
  for (const m of touched) {
    const exp = channelOf.get(m.exportId) as { channel: string; created_at: string };
    if (exp.channel !== 'post') {
      const source = `campaign #${m.exportId}`;
      if (has.get(m.exportId, m.contactId, 'hard_bounce') !== undefined && suppress.run(m.hash, m.keyType, 'bounced', `${source} (hard bounce)`, created, user).changes > 0) summary.suppressed.hardBounces++;
      if (has.get(m.exportId, m.contactId, 'unsubscribed') !== undefined && suppress.run(m.hash, m.keyType, 'unsubscribed', `${source} (unsubscribe)`, created, user).changes > 0) summary.suppressed.unsubscribes++;
      if (has.get(m.exportId, m.contactId, 'complained') !== undefined && suppress.run(m.hash, m.keyType, 'unsubscribed', `${source} (spam complaint)`, created, user).changes > 0) summary.suppressed.complaints++;
      const optedOut = eventAt.get(m.exportId, m.contactId) as string | null;
      const person = optedOut === null ? undefined : (survivor.get(m.contactId) as number | null | undefined);
      if (optedOut !== null && typeof person === 'number' && latestConsent.get(person, exp.channel) !== 'withdrawn') {
        // An event without a time happened after the campaign left: its send time is the safe lower bound.
        withdraw.run(person, exp.channel, optedOut === '' ? exp.created_at : optedOut, `${source} (${has.get(m.exportId, m.contactId, 'unsubscribed') !== undefined ? 'unsubscribe' : 'spam complaint'})`);
        summary.consentsWithdrawn++;
      }
      if (softLimit > 0 && has.get(m.exportId, m.contactId, 'soft_bounce') !== undefined) {
        if (streak(m.contactId, m.hash) && suppress.run(m.hash, m.keyType, 'bounced', `${source} (${softLimit} soft bounces in a row)`, created, user).changes > 0) summary.suppressed.softBounceStreaks++;
      }
    }
    const click = lastClick.get(m.exportId, m.contactId) as string | null;
    if (click !== null) {
      // A click with no time in the file happened after the campaign left: its day is the safe lower bound.
      const at = (click === '' ? exp.created_at : click).slice(0, 10);
      if (moveActivity.run(at, m.contactId, at).changes > 0) summary.activityMoved++;
    }
  }
}
