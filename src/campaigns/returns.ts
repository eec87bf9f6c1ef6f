/**
 * Postal returns (PND: "pli non distribuable"): letters that came back. Each row names a contact (by
 * uid, customer code, email, or name and postal address) and marks the address the letter went to as
 * undeliverable: the post channel leaves the contact out while their address is still that one.
 */
import path from 'node:path';
import { inWriteTransaction, type Db } from '../store/db.js';
import type { Uid } from '../store/types.js';
import type { Cell } from '../io/readers.js';
import { foldHeader } from '../io/header-words.js';
import { inspectFile, openTables } from '../io/tables.js';
import { normaliseEmail, nowIso, osUser } from '../export/keys.js';
import { POST_ADDRESS_KEY, registerFunctions } from '../export/select.js';
import { recordAudit } from '../gdpr/audit.js';
import { cellText, isoTime } from './cells.js';
import { CampaignError, earlierRead, findCampaign, NOT_SENT_IDS, notSentRefusal, type CampaignRef, type EarlierRead } from './lookup.js';
import { quotedList } from '../io/quote.js';

export interface ReturnsSummary {
  file: string;
  alreadyImported: EarlierRead | null;
  importId: number | null;
  rows: number;
  /** Addresses newly marked undeliverable. */
  marked: number;
  /** Rows about an address already marked (an earlier file, or twice in this one). */
  already: number;
  unmatched: number;
  unmatchedRows: { row: number; reason: string }[];
  /** How contacts were found: the column used. */
  matchedBy: string;
}

type Role = 'uid' | 'externalId' | 'email' | 'lastName' | 'address' | 'postalCode' | 'date' | 'reason' | 'campaign';

const HEADERS: Record<Role, string[]> = {
  uid: ['uid', 'custkituid', 'contactuid'],
  externalId: ['externalid', 'customerid', 'customercode', 'codeclient', 'refclient', 'referenceclient', 'numeroclient', 'clientid', 'idclient'],
  email: ['email', 'emailaddress', 'mail', 'courriel', 'adresseemail'],
  lastName: ['lastname', 'nom', 'surname', 'familyname', 'nomdefamille'],
  address: ['addressline1', 'address', 'adresse', 'adresse1', 'street', 'rue', 'address1', 'ligneadresse1'],
  postalCode: ['postalcode', 'zip', 'zipcode', 'codepostal', 'cp', 'postcode'],
  date: ['returnedat', 'returndate', 'dateretour', 'date', 'dateduretour', 'datepnd'],
  reason: ['reason', 'motif', 'motifretour', 'motifpnd', 'cause', 'returnreason'],
  campaign: ['campaign', 'campaignid', 'campagne', 'export', 'exportid', 'operation'],
};

function findRoles(headers: string[]): Partial<Record<Role, number>> {
  const folded = headers.map(foldHeader);
  const roles: Partial<Record<Role, number>> = {};
  for (const role of Object.keys(HEADERS) as Role[]) {
    for (const name of HEADERS[role]) {
      const index = folded.indexOf(name);
      if (index >= 0 && !Object.values(roles).includes(index)) {
        roles[role] = index;
        break;
      }
    }
  }
  return roles;
}

export async function importReturns(db: Db, file: string, options: { campaign?: number } = {}): Promise<ReturnsSummary> {
  registerFunctions(db);
  const displayName = path.basename(file);
  const facts = await inspectFile(file);
  const summary: ReturnsSummary = { file, alreadyImported: null, importId: null, rows: 0, marked: 0, already: 0, unmatched: 0, unmatchedRows: [], matchedBy: '' };
  const fixed = options.campaign !== undefined ? findCampaign(db, String(options.campaign), 'id') : null;
  if (options.campaign !== undefined && !fixed) throw new CampaignError(`--campaign ${options.campaign}: no such campaign (see "custkit campaigns")`);
  if (fixed && fixed.channel !== 'post') throw new CampaignError(`--campaign ${options.campaign}: campaign #${fixed.id} went out by ${fixed.channel}, not by post`);
  if (fixed?.notSentAt) throw new CampaignError(`--campaign ${options.campaign}: ${notSentRefusal(fixed, 'no letter of it can have come back; nothing was read')}`);
  summary.alreadyImported = earlierRead(db, facts.sha256, 'returns', options.campaign);
  if (summary.alreadyImported) return summary;
  const tables = await openTables({ file, displayName, encoding: 'auto', delimiter: 'auto' }, facts);
  const first = await tables.next();
  if (first.done) throw new CampaignError(`${displayName}: the file is empty`);

  const byUid = db.prepare("SELECT id FROM contacts WHERE uid = ? AND status <> 'erased'").pluck();
  const byExternal = db.prepare("SELECT id FROM contacts WHERE external_id = ? AND status IN ('active', 'inactive')").pluck();
  const byEmail = db.prepare("SELECT id FROM contacts WHERE email_norm = ? AND status IN ('active', 'inactive')").pluck();
  // The street and the name compared as the return key folds them (post-address.ts: case, accents, spaces,
  // punctuation): "12, rue de l'Église" in the post's file is the "12 rue de l Eglise" the store holds.
  const byAddress = db.prepare(
    `SELECT id FROM contacts WHERE coalesce(postal_code_norm, postal_code) = ? AND ck_fold_text(address_line1) = ck_fold_text(?)
       AND (? IS NULL OR ck_fold_text(last_name) = ck_fold_text(?)) AND status IN ('active', 'inactive')`,
  ).pluck();
  // The address the letter went to: the member's, for a post campaign that listed them; else the current one.
  // Probed by the members' key (export, contact), newest post campaign first.
  const memberHash = db.prepare(
    `SELECT e.id AS export_id, (SELECT nullif(lower(hex(m.address_hash)), '') FROM export_members m WHERE m.export_id = e.id AND m.contact_id = @contact) AS address_hash
     FROM exports e WHERE e.channel = 'post' AND e.id NOT IN (${NOT_SENT_IDS}) AND (@campaign IS NULL OR e.id = @campaign) AND address_hash IS NOT NULL ORDER BY e.id DESC LIMIT 1`,
  );
  const currentHash = db.prepare(`SELECT ck_sha256(${POST_ADDRESS_KEY}) FROM contacts c WHERE c.id = ?`).pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO postal_returns (contact_id, address_hash, export_id, returned_at, reason, import_id) VALUES (?, ?, ?, ?, ?, ?)');
  const uidOf = db.prepare('SELECT uid FROM contacts WHERE id = ?').pluck();
  const insertUnmatched = db.prepare('INSERT INTO campaign_unmatched (import_id, row_number, raw, reason) VALUES (?, ?, ?, ?)');
  const marked: Uid[] = [];
  let roles: Partial<Record<Role, number>> | null = null;
  let headers: string[] = [];
  let importId = 0;

  await inWriteTransaction(db, async () => {
    importId = Number(db.prepare("INSERT INTO campaign_imports (file_name, sha256, kind, campaign_option, imported_at, os_user) VALUES (?, ?, 'returns', ?, ?, ?)").run(displayName, facts.sha256, options.campaign ?? null, nowIso(), osUser()).lastInsertRowid);
    const unmatched = (row: number, cells: Cell[], reason: string): void => {
      summary.unmatched++;
      insertUnmatched.run(importId, row, JSON.stringify(cells.map(cellText)), reason);
      if (summary.unmatchedRows.length < 20) summary.unmatchedRows.push({ row, reason });
    };
    for await (const batch of first.value.batches) {
      for (let i = 0; i < batch.rows.length; i++) {
        const cells = batch.rows[i]!;
        const number = batch.numbers[i]!;
        if (roles === null) {
          headers = cells.map(cellText);
          roles = findRoles(headers);
          const by = (['uid', 'externalId', 'email', 'address'] as const).find((r) => roles![r] !== undefined);
          if (by === undefined || (by === 'address' && roles.postalCode === undefined)) {
            throw new CampaignError(`${displayName}: no column names the contact: a uid, a customer code, an email, or an address with its postal code (columns: ${quotedList(headers, 'columns')})`);
          }
          summary.matchedBy = headers[roles[by]!]!;
          continue;
        }
        const text = (role: Role): string => (roles![role] === undefined ? '' : cellText(cells[roles![role]!]).trim());
        if (cells.every((c) => cellText(c).trim() === '')) continue;
        summary.rows++;
        let ids: number[] = [];
        let tried = '';
        if (text('uid')) [ids, tried] = [byUid.all(text('uid')) as number[], `uid in column "${headers[roles.uid!]}"`];
        else if (text('externalId')) [ids, tried] = [byExternal.all(text('externalId')) as number[], `customer code in column "${headers[roles.externalId!]}"`];
        else if (text('email')) [ids, tried] = [byEmail.all(normaliseEmail(text('email')) ?? '') as number[], `email in column "${headers[roles.email!]}"`];
        else if (text('address') && text('postalCode')) {
          const name = text('lastName') || null;
          [ids, tried] = [byAddress.all(text('postalCode'), text('address'), name, name) as number[], 'name and postal address'];
        }
        if (tried === '') {
          unmatched(number, cells, 'no uid, customer code, email or address on the row');
          continue;
        }
        if (ids.length !== 1) {
          unmatched(number, cells, ids.length === 0 ? `no contact matches the ${tried}` : `${ids.length} contacts match the ${tried}: name one by uid`);
          continue;
        }
        const contactId = ids[0]!;
        const campaignText = text('campaign');
        const named = campaignText ? findCampaign(db, campaignText, 'id') ?? findCampaign(db, campaignText, 'name') : null;
        // A campaign marked not sent sent no letter: the return is about the contact's address, as without a campaign.
        const campaign: CampaignRef | null = fixed ?? (named?.notSentAt ? null : named);
        const member = memberHash.get({ contact: contactId, campaign: campaign?.id ?? null }) as { export_id: number; address_hash: string } | undefined;
        const hash = member?.address_hash ?? (currentHash.get(contactId) as string);
        const reason = text('reason') || null;
        const at = roles.date === undefined ? '' : isoTime(cells[roles.date]).slice(0, 10);
        if (insert.run(contactId, hash, member?.export_id ?? campaign?.id ?? null, at || null, reason, importId).changes > 0) {
          summary.marked++;
          marked.push(uidOf.get(contactId) as Uid);
        } else summary.already++;
      }
    }
    if (roles === null) throw new CampaignError(`${displayName}: the file is empty`);
    db.prepare('UPDATE campaign_imports SET columns = ?, rows_read = ?, matched = ?, unmatched = ?, counts = ? WHERE id = ?').run(JSON.stringify(headers), summary.rows, summary.marked + summary.already, summary.unmatched, JSON.stringify({ marked: summary.marked, already: summary.already }), importId);
    recordAudit(db, { action: 'campaigns.returns', uids: marked, counts: { rows: summary.rows, marked: summary.marked, already: summary.already, unmatched: summary.unmatched }, details: { import_id: importId } });
  });
  summary.importId = importId;
  return summary;
}
