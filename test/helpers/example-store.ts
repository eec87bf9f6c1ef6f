/**
 * A folder in which the examples of the help texts can be typed as they are printed: a store
 * (./custkit.db) built from fixtures/ by the commands a user would have run, and the files the examples
 * name (clients.csv, export.xlsx, cuts.json…), made from fixtures/ and fixtures/help/.
 */
import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import { custkit, fixture, queryStore, tempDir, type CliResult } from './cli.js';

/** File name an example uses -> the fixture it is a copy of. */
const FILES: Record<string, string> = {
  'clients.csv': 'clients-fr-cp1252.csv',
  'commandes.csv': 'score-purchases.csv',
  'orders.csv': 'score-purchases.csv',
  'orders-erp.csv': 'help/orders-erp.csv', // its amount column is one no header rule reads: import --help maps it
  'export.xlsx': 'workbook.xlsx',
  'crm.csv': 'help/crm.csv',
  'shop.csv': 'help/shop.csv',
  'mailchimp_unsubscribed.csv': 'help/mailchimp_unsubscribed.csv',
  'brevo_hard_bounces.csv': 'help/brevo_hard_bounces.csv',
  'cuts.json': 'help/cuts.json',
  'my-segments.json': 'help/my-segments.json',
  'nightly.yaml': 'pipeline/nightly.yaml', // its inbox/ is absent here: its import steps find no file
};

/** How the store of the examples is built; each step must succeed with the exit code given. */
const BUILD: Array<{ args: string[]; code: number }> = [
  { args: ['import', fixture('clients-fr-cp1252.csv')], code: 0 }, // import #1
  { args: ['import', fixture('contacts-en-bom.csv'), '--source', 'crm-uk'], code: 0 }, // #2
  { args: ['import', fixture('score-purchases.csv'), '--source', 'shop'], code: 0 }, // #3
  { args: ['import', fixture('purchases-fr.csv')], code: 3 }, // #4: two rows rejected on purpose ("rejects --import 4")
  { args: ['import', fixture('workbook.xlsx'), '--all-sheets', '--source', 'boutique'], code: 0 }, // #5, #6
  { args: ['import', fixture('help/partners.csv'), '--source', 'partners'], code: 0 }, // tag partner-ok
  // Enough customers and repeat orders for the CLV models to fit ("score --clv").
  { args: ['import', fixture('help/order-history.csv'), '--source', 'history'], code: 0 },
  { args: ['dedupe', '--apply'], code: 0 }, // merges 1 and 2 ("unmerge 2")
  { args: ['score', '--as-of', '2024-12-31'], code: 0 }, // run 1
  { args: ['score', '--as-of', '2025-06-30', '--method', 'rfmcca'], code: 0 }, // run 2
  { args: ['score', '--as-of', '2025-06-30'], code: 0 }, // run 3: the latest, rfm, compared with run 1
  { args: ['suppress', '--import', fixture('help/mailchimp_unsubscribed.csv')], code: 0 },
  { args: ['export', '--out', 'brevo-last-week.csv', '--preset', 'brevo'], code: 0 }, // export #1
  { args: ['export', '--channel', 'sms', '--out', 'leaked.csv'], code: 0 }, // export #2
  { args: ['export', '--out', 'list.csv'], code: 0 }, // export #3 ("exports --id 3")
];

export interface ExampleWorkspace {
  dir: string;
  /** Two uids of active contacts, for examples that show UID1 UID2. */
  uids: [string, string];
}

function check(step: string[], result: CliResult, code: number): void {
  if (result.code !== code) throw new Error(`building the example store: custkit ${step.join(' ')} exited ${result.code}, not ${code}\n${result.stderr}`);
}

export async function buildExampleWorkspace(): Promise<ExampleWorkspace> {
  const dir = tempDir('custkit-examples-');
  for (const [name, source] of Object.entries(FILES)) fs.copyFileSync(fixture(source), path.join(dir, name));
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('STOP').addRows([['Phone Number', 'Date'], ['+33612345678', '2026-03-01'], ['06 98 76 54 32', '2026-03-02']]);
  await workbook.xlsx.writeFile(path.join(dir, 'sms_stop.xlsx'));
  for (const step of BUILD) check(step.args, custkit(step.args, { cwd: dir }), step.code);
  const db = path.join(dir, 'custkit.db');
  // The examples' absolute store (--db /data/shop.db) is this store too (see examples.test.ts).
  fs.copyFileSync(db, path.join(dir, 'shop.db'));
  const uids = queryStore<{ uid: string }>(db, "SELECT uid FROM contacts WHERE status = 'active' ORDER BY id LIMIT 2").map((r) => r.uid);
  return { dir, uids: [uids[0]!, uids[1]!] };
}

/** A fresh copy of the workspace, so the examples of one help text do not see another's effects. */
export function copyWorkspace(workspace: ExampleWorkspace): ExampleWorkspace {
  const dir = tempDir('custkit-examples-');
  fs.cpSync(workspace.dir, dir, { recursive: true });
  return { ...workspace, dir };
}
