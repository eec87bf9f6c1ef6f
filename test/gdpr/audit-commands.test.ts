import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { custkit, fixture, tempDir } from '../helpers/cli.js';

interface Entry {
  action: string;
  uids: string[];
  counts: Record<string, number>;
  details: Record<string, unknown>;
  command: string;
}

describe('the audit trail of every command that changes data', () => {
  it('records unmerge, score, affinities, suppress ADDRESS, clean --undo, seeds add and mappings forget, without personal data', () => {
    const db = path.join(tempDir(), 'shop.db');
    const ok = (args: string[], code = 0): void => {
      const run = custkit(args, { db });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(code);
    };
    ok(['import', fixture('gdpr/erase-people.csv')], 3);
    ok(['import', fixture('gdpr/erase-people-web.csv'), '--source', 'web', '--map', 'Code client=external_id']);
    ok(['import', fixture('gdpr/erase-orders.csv')]);
    ok(['clean', '--fix']);
    ok(['clean', '--undo', '1']);
    ok(['dedupe', '--apply']);
    ok(['unmerge', '1']);
    ok(['score']);
    ok(['affinities']);
    ok(['suppress', 'octave.bernardin@example.com', '--reason', 'unsubscribed']);
    ok(['seeds', 'add', 'trap.lyon@my-domain.fr', '--name', 'Camille Roux']);
    ok(['mappings', 'forget', 'web']);
    const entries = JSON.parse(custkit(['audit', '--json'], { db }).stdout) as Entry[];
    const byAction = new Map(entries.map((e) => [e.action, e]));
    for (const action of ['dedupe.unmerge', 'score', 'score.affinities', 'suppress.add', 'clean.undo', 'seeds.add', 'mappings.forget']) {
      expect(byAction.has(action), action).toBe(true);
    }
    expect(byAction.get('dedupe.unmerge')!.uids.length).toBeGreaterThanOrEqual(2);
    expect(byAction.get('dedupe.unmerge')!.details).toMatchObject({ merge_ids: ['1'] });
    expect(byAction.get('clean.undo')!.details).toMatchObject({ undone_run: 1 });
    expect(byAction.get('mappings.forget')!.counts.columns).toBe(1);
    expect(byAction.get('suppress.add')!.details).toMatchObject({ kind: 'unsubscribed', key_type: 'email' });
    const text = JSON.stringify(entries);
    expect(text).not.toMatch(/@/);
    expect(text).not.toMatch(/Camille|Roux|Bernardin/);
  });
});
