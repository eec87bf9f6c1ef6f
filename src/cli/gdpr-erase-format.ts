/** Words for what an erasure or a purge did, shared by `gdpr erase` and `gdpr purge`. */
import type { EraseResult } from '../gdpr/erase.js';
import type { FileScrub } from '../gdpr/scrub-file.js';

/** Every erased address, and the person's names, replaced by *** in a text kept after them (a reason, a command line). */
export function maskPersonal(text: string, needles: readonly string[], names: readonly string[]): string {
  let out = text;
  for (const value of [...needles, ...names].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '***');
  }
  return out;
}

const TABLE_WORDS: Record<string, string> = {
  contacts: 'contact records emptied (uid kept, marked erased)',
  consents: 'consent rows deleted',
  purchases: 'purchase lines kept for the totals, unlinked from the person',
  scores: 'score rows deleted',
  clean_changes: 'clean history rows deleted',
  clean_fixes: 'clean history rows deleted',
  dedupe_keys: 'dedupe key rows deleted',
  dedupe_decisions: 'review decisions deleted',
  merges: 'merges emptied (they can no longer be undone)',
  merge_members: 'merge snapshots emptied',
  rejects: 'rejected rows emptied',
  'free text': 'free-text values masked (command lines, file names, --where)',
};

export function tableLines(tables: Record<string, number>): string[] {
  const merged = new Map<string, number>();
  for (const [table, n] of Object.entries(tables)) {
    const words = TABLE_WORDS[table] ?? `${table} rows deleted`;
    merged.set(words, (merged.get(words) ?? 0) + n);
  }
  const order = Object.values(TABLE_WORDS);
  const rank = (words: string): number => (order.includes(words) ? order.indexOf(words) : order.length);
  return [...merged].sort((a, b) => rank(a[0]) - rank(b[0])).map(([words, n]) => `  ${n} ${words}`);
}

export function fileLine(scrub: FileScrub | null): string | null {
  if (!scrub) return null;
  const wal = scrub.walTruncated ? 'WAL checkpointed and truncated' : 'WAL still open elsewhere';
  if (scrub.clean === null) return scrub.vacuumed ? `  store file rewritten from its scrubbed tables by VACUUM (${wal})` : null;
  return scrub.clean
    ? `  store file checked byte by byte: no erased address left (${wal}${scrub.vacuumed ? ', store rewritten by VACUUM' : ''})`
    : `  store file still holds an erased address (${wal})`;
}

export function describeErasure(result: EraseResult, options: { dryRun: boolean; noContact: boolean; scrub: FileScrub | null }): string[] {
  const verb = options.dryRun ? 'would erase' : 'erased';
  const lines: string[] = [];
  if (options.noContact) {
    lines.push(`no contact holds this address; ${options.dryRun ? 'it would be' : 'it is'} suppressed as erased, so no import brings it in`);
  } else {
    const merged = result.records.length - result.people.length;
    lines.push(`${verb} ${result.people.length} ${result.people.length === 1 ? 'person' : 'people'}: ${result.people.join(', ')}${merged > 0 ? ` (with ${merged} record(s) merged into them)` : ''}`);
  }
  lines.push(...tableLines(result.tables));
  lines.push(`  ${result.suppressionsAdded} address hash(es) ${options.dryRun ? 'would be added' : 'added'} to suppressions as erased`);
  if (result.shared) lines.push(`  ${result.shared} address(es) shared with a contact that stays: not suppressed (erase that contact too, or "custkit suppress" the address)`);
  if (result.unplanned.length) lines.push(`  rows deleted by default from tables erasure does not know: ${result.unplanned.join(', ')}`);
  const file = fileLine(options.scrub);
  if (file) lines.push(file);
  return lines;
}
