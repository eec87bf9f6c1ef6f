/**
 * The campaign loop through the built CLI: import, export (a named campaign), the tool's report read
 * twice, its unmatched rows written out, the listing; postal returns and the post channel until the
 * address changes; the pressure cap in the export's funnel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, queryStore, tempDir } from '../helpers/cli.js';

function store(): { dir: string; db: string } {
  const dir = tempDir('custkit-campaigns-');
  const db = path.join(dir, 'custkit.db');
  expect(custkit(['import', fixture('campaigns/contacts.csv')], { db }).code).toBe(0);
  return { dir, db };
}

describe('custkit campaigns (e2e)', () => {
  it('results: read once, re-read changes nothing, unmatched rows written out, listed with rates', () => {
    const { dir, db } = store();
    expect(custkit(['export', '--name', "Soldes d'hiver", '--out', path.join(dir, 'soldes.csv')], { db }).code).toBe(0);
    const first = custkit(['campaigns', 'results', fixture('campaigns/hubspot-recipients.xlsx'), '--unmatched-out', path.join(dir, 'unmatched.csv')], { db });
    expect(first.code).toBe(3); // one row matches no member
    // HubSpot's events name the campaign by its id only, not known yet: each row goes by its address.
    expect(first.stderr).toContain('campaign #1 "Soldes d\'hiver": 11 row(s), the most recent campaign holding the address (the file\'s campaign "171234567" is not known yet)');
    expect(first.stderr).toContain('row 15: campaign "171234567" is not known and no campaign holds this address');
    const unmatched = fs.readFileSync(path.join(dir, 'unmatched.csv'), 'utf8').trim().split(/\r?\n/);
    expect(unmatched[0]).toBe('recipient,emailCampaignId,type,created,category,portalSubscriptionStatus,unmatched_reason');
    expect(unmatched.slice(1).map((l) => l.split(',')[0])).toEqual(['ghost.reader@example.org']);
    expect(fs.statSync(path.join(dir, 'unmatched.csv')).mode & 0o777).toBe(0o600);

    const before = queryStore(db, 'SELECT (SELECT count(*) FROM campaign_events) e, (SELECT count(*) FROM suppressions) s, (SELECT count(*) FROM audit_log) a');
    const again = custkit(['campaigns', 'results', fixture('campaigns/hubspot-recipients.xlsx')], { db });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already read as results import #1');
    expect(queryStore(db, 'SELECT (SELECT count(*) FROM campaign_events) e, (SELECT count(*) FROM suppressions) s, (SELECT count(*) FROM audit_log) a')).toEqual(before);

    const listed = JSON.parse(custkit(['campaigns', '--json'], { db }).stdout) as Array<{ id: number; name: string; size: number; results: { delivered: number; opened: number; clicked: number; rates: { opened: number } } }>;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: 1, name: "Soldes d'hiver", size: 8, results: { delivered: 4, opened: 2, clicked: 1, rates: { opened: 0.5 } } });
    const shown = JSON.parse(custkit(['campaigns', 'show', '1', '--json'], { db }).stdout) as { bySegment: Array<{ group: string; members: number }> };
    expect(shown.bySegment).toEqual([expect.objectContaining({ group: '(not scored)', members: 8 })]);
    // The next email export leaves out the suppressed: hard bounce, unsubscribe, spam complaint.
    const next = custkit(['export', '--out', path.join(dir, 'next.csv')], { db });
    expect(next.stderr).toMatch(/- suppressed\s+-3/);
  });

  it('returns: the post channel leaves the address out until an import changes it', () => {
    const { dir, db } = store();
    const post = (name: string): string[] => {
      const result = custkit(['export', '--channel', 'post', '--columns', 'last_name', '--out', path.join(dir, name)], { db });
      expect(result.code).toBe(0);
      return fs.readFileSync(path.join(dir, name), 'utf8').trim().split(/\r?\n/).slice(1);
    };
    expect(post('1.csv')).toContain('Petit');
    const returned = custkit(['campaigns', 'returns', fixture('campaigns/pnd-returns.csv')], { db });
    expect(returned.code).toBe(3); // C099 is nobody
    expect(returned.stderr).toContain('1 address(es) marked undeliverable');
    expect(returned.stderr).toContain('row 3: no contact matches the customer code in column "Code client"');
    const second = custkit(['export', '--channel', 'post', '--columns', 'last_name', '--out', path.join(dir, '2.csv')], { db });
    expect(second.stderr).toMatch(/- address returned \(PND\)\s+-1/);
    expect(fs.readFileSync(path.join(dir, '2.csv'), 'utf8')).not.toContain('Petit');
    // The audit names the contact marked.
    expect(queryStore(db, "SELECT targets FROM audit_log WHERE action = 'campaigns.returns'")).toEqual([{ targets: 1 }]);

    // Camille moved: the same customer code with a new address.
    const moved = path.join(dir, 'moved.csv');
    fs.writeFileSync(moved, `${fs.readFileSync(fixture('campaigns/contacts.csv'), 'utf8').split('\n')[0]}\nC003;Camille;Petit;camille.petit@example.fr;oui;oui;8 allée Jean Jaurès;31000;Toulouse;FR\n`);
    expect(custkit(['import', moved], { db }).code).toBe(0);
    expect(post('3.csv')).toContain('Petit');
  });

  it('pressure: --max-sends --per, then the store-wide setting, in the funnel', () => {
    const { dir, db } = store();
    for (const n of [1, 2]) expect(custkit(['export', '--out', path.join(dir, `${n}.csv`)], { db }).code).toBe(0);
    const capped = custkit(['export', '--max-sends', '2', '--per', '30d', '--out', path.join(dir, '3.csv')], { db });
    expect(capped.code).toBe(0);
    expect(capped.stderr).toMatch(/- marketing pressure cap\s+-8/);
    expect(capped.stderr).toContain('0 written: all 8 selected contacts were already sent the most email campaigns the pressure cap allows');
    expect(custkit(['campaigns', 'settings', '--max-sends', '3', '--per', '4w'], { db }).stdout).toContain('marketing pressure cap, email: at most 3 campaign(s) per 4w');
    const byDefault = custkit(['export', '--out', path.join(dir, '4.csv')], { db });
    expect(byDefault.stderr).toContain('pressure cap (store default): at most 3 email campaign(s) per 4w');
    expect(byDefault.stderr).toMatch(/= written\s+8/); // the capped export wrote nobody: 2 each
    expect(custkit(['export', '--max-sends', '0', '--out', path.join(dir, '5.csv')], { db }).stderr).not.toContain('pressure');
    expect(custkit(['export', '--per', '30d', '--out', path.join(dir, '6.csv')], { db }).code).toBe(2);
    expect(custkit(['export', '--max-sends', '2', '--per', 'soon', '--out', path.join(dir, '7.csv')], { db }).code).toBe(2);
  });

  it('not sent: a preview or a list marked not sent leaves the cap, is listed so, refuses results; --undo counts it again', () => {
    const { dir, db } = store();
    const preview = custkit(['export', '--preview', '--name', "Soldes d'hiver", '--out', path.join(dir, 'look.csv')], { db });
    expect(preview.code).toBe(0);
    expect(preview.stderr).toContain('preview: export #1 is recorded as a campaign not sent');
    expect(fs.readFileSync(path.join(dir, 'look.csv'), 'utf8').trim().split(/\r?\n/)).toHaveLength(9); // the file is written all the same
    expect(custkit(['export', '--out', path.join(dir, 'sent.csv')], { db }).code).toBe(0); // #2, sent
    const cap = (n: number): string => custkit(['export', '--max-sends', '2', '--out', path.join(dir, `cap-${n}.csv`)], { db }).stderr;
    expect(cap(3)).toMatch(/- marketing pressure cap\s+0/); // #2 counts, the preview does not: 1 each
    expect(cap(4)).toMatch(/- marketing pressure cap\s+-8/); // #2 and #3: 2 each, #4 writes nobody
    expect(custkit(['campaigns', 'not-sent', '2', '--reason', 'looked only'], { db }).stdout).toContain('campaign #2 marked not sent: its 8 member(s) no longer count toward the pressure cap');
    expect(cap(5)).toMatch(/- marketing pressure cap\s+0/); // #3 alone counts now

    const listed = JSON.parse(custkit(['campaigns', '--json'], { db }).stdout) as Array<{ id: number; sent: boolean; notSent: { reason: string } | null }>;
    expect(listed.map((c) => [c.id, c.sent, c.notSent?.reason ?? null])).toEqual([[5, true, null], [4, true, null], [3, true, null], [2, false, 'looked only'], [1, false, 'export --preview']]);
    const table = custkit(['campaigns'], { db });
    expect(table.stdout).toMatch(/│ 2 .*email \(not sent\)/);
    expect(custkit(['campaigns', 'show', '2'], { db }).stdout).toContain('not sent: marked');

    const refused = custkit(['campaigns', 'results', fixture('campaigns/brevo-events.csv'), '--campaign', '1'], { db });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('campaign #1 "Soldes d\'hiver" is marked not sent');
    expect(queryStore(db, 'SELECT count(*) AS n FROM campaign_imports')).toEqual([{ n: 0 }]);
    expect(queryStore(db, "SELECT action FROM audit_log WHERE action LIKE 'campaigns.%' ORDER BY id")).toEqual([{ action: 'campaigns.not-sent' }]);

    // Sent after all: --undo, then the results go to it, and it can no longer be marked not sent.
    expect(custkit(['campaigns', 'not-sent', '1', '--undo'], { db }).code).toBe(0);
    expect(custkit(['campaigns', 'results', fixture('campaigns/brevo-events.csv'), '--campaign', '1'], { db }).code).toBe(3);
    const again = custkit(['campaigns', 'not-sent', '1'], { db });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('so it was sent');
    expect(custkit(['campaigns', 'not-sent', 'one'], { db }).code).toBe(2);
    expect(custkit(['campaigns', 'not-sent', '9'], { db }).code).toBe(1);
  });

  it('a results or returns CSV with a quote never closed is refused (exit 1, file, row and column named), nothing read', () => {
    const { dir, db } = store();
    expect(custkit(['export', '--name', "Soldes d'hiver", '--out', path.join(dir, 'soldes.csv')], { db }).code).toBe(0);
    const broken = path.join(dir, 'mailchimp-broken.csv');
    const lines = fs.readFileSync(fixture('campaigns/mailchimp-activity.csv'), 'utf8').split('\n');
    // Row 3: the Action cell opens a quote that nothing closes; the rest of the file would be that cell.
    lines[2] = lines[2]!.replace(',click,', ',"click,');
    fs.writeFileSync(broken, lines.join('\n'));
    const read = custkit(['campaigns', 'results', broken], { db });
    expect(read.code).toBe(1);
    expect(read.stderr).toContain('mailchimp-broken.csv: row 3, column 4: a quote (") opens a cell and is never closed');
    expect(queryStore(db, 'SELECT count(*) AS n FROM campaign_events')).toEqual([{ n: 0 }]);
    expect(queryStore(db, 'SELECT count(*) AS n FROM campaign_imports')).toEqual([{ n: 0 }]);

    const returns = path.join(dir, 'pnd-broken.csv');
    fs.writeFileSync(returns, fs.readFileSync(fixture('campaigns/pnd-returns.csv'), 'utf8').replace(';Petit;', ';"Petit;'));
    const returned = custkit(['campaigns', 'returns', returns], { db });
    expect(returned.code).toBe(1);
    expect(returned.stderr).toContain('pnd-broken.csv: row 2, column 2: a quote (") opens a cell and is never closed');
    expect(queryStore(db, 'SELECT count(*) AS n FROM postal_returns')).toEqual([{ n: 0 }]);
  });

  it('returns: a new street or postal code lifts the return; clean --fix or contact set changing only spaces, case, accents or punctuation does not', () => {
    const dir = tempDir('custkit-pnd-');
    const db = path.join(dir, 'custkit.db');
    const header = fs.readFileSync(fixture('campaigns/contacts.csv'), 'utf8').split('\n')[0];
    const people = path.join(dir, 'people.csv');
    // Roux: a postal code without its leading zero (clean --fix restores it: the same address).
    // Blanc: two spaces inside the city name (clean --fix collapses them: the same city).
    fs.writeFileSync(people, `${header}\nC101;Anne;Roux;anne.roux@example.fr;oui;oui;4 rue Neuve;1000;Bourg-en-Bresse;FR\nC102;Paul;Blanc;paul.blanc@example.fr;oui;oui;9 quai Nord;42000;Saint  Etienne;FR\n`);
    expect(custkit(['import', people], { db }).code).toBe(0);
    let n = 0;
    const post = (): string[] => {
      const file = path.join(dir, `post-${++n}.csv`);
      expect(custkit(['export', '--channel', 'post', '--columns', 'last_name', '--out', file], { db }).code).toBe(0);
      return fs.readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1).sort();
    };
    expect(post()).toEqual(['Blanc', 'Roux']);
    const returns = path.join(dir, 'returns.csv');
    fs.writeFileSync(returns, 'Code client;Nom;Date retour;Motif\nC101;Roux;2026-02-03;NPAI\nC102;Blanc;2026-02-03;NPAI\n');
    expect(custkit(['campaigns', 'returns', returns], { db }).code).toBe(0);
    expect(post()).toEqual([]);

    expect(custkit(['clean', '--fix'], { db }).code).not.toBe(1);
    expect(queryStore(db, "SELECT postal_code, city FROM contacts ORDER BY external_key")).toEqual([
      { postal_code: '01000', city: 'Bourg-en-Bresse' },
      { postal_code: '42000', city: 'Saint Etienne' },
    ]);
    expect(post()).toEqual([]); // both returns still apply

    // Case, accents and punctuation set by hand: the same address, the return stays.
    expect(custkit(['contact', 'set', 'paul.blanc@example.fr', 'city=SAINT-ÉTIENNE', 'address_line1=9, Quai Nord'], { db }).code).toBe(0);
    expect(post()).toEqual([]);
    // A new street, set by hand: the letter can go again.
    expect(custkit(['contact', 'set', 'anne.roux@example.fr', 'address_line1=8 allée Jean Jaurès'], { db }).code).toBe(0);
    expect(post()).toEqual(['Roux']);
    expect(custkit(['contact', 'set', 'paul.blanc@example.fr', 'address_line1=10 quai Nord'], { db }).code).toBe(0);
    expect(post()).toEqual(['Blanc', 'Roux']);
  });
});

