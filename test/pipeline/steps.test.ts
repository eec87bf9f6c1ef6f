import { describe, expect, it } from 'vitest';
import { pick, stepKind } from '../../src/pipeline/steps.js';
import { worstCode } from '../../src/pipeline/run.js';

describe('the figures a step logs', () => {
  it('are the numbers of its summary, arrays as their length, named in snake_case', () => {
    expect(pick({ runId: 3, rows: 12, merges: [{}, {}], email: 'ann@example.com', skipped: false }, ['runId', 'rows', 'merges', 'email', 'skipped', 'absent'])).toEqual({ run_id: 3, rows: 12, merges: 2 });
    expect(pick(null, ['rows'])).toEqual({});
  });

  it('clean counts the changes of the rules it applies; export adds its funnel', () => {
    const clean = stepKind('clean')!.counts({ runId: 2, validated: 10, rules: [{ count: 4, applies: true, examples: [{ before: 'x' }] }, { count: 7, applies: false }, { count: 1 }] });
    expect(clean).toEqual({ run_id: 2, validated: 10, changes: 5 });
    const exported = stepKind('export')!.counts({ exportId: 1, rows: 5, seeds: 0, files: [{}], funnel: { selected: 9, noAddress: 1, noConsent: 3, suppressed: 0 } });
    expect(exported).toEqual({ export_id: 1, rows: 5, seeds: 0, files: 1, selected: 9, no_address: 1, no_consent: 3, suppressed: 0 });
  });

  it('gdpr purge counts the people it erased and the rejected rows it deleted, never who', () => {
    const purged = stepKind('gdpr-purge')!.counts({ dry_run: false, prospects: [{ uid: 'a', since: '2020-01-01' }, { uid: 'b', since: '2020-02-01' }], customers: [], rejects: { rows: 4, imports: [1] }, seeds_kept: 1, suppressions_added: 3 });
    expect(purged).toEqual({ prospects: 2, customers: 0, seeds_kept: 1, suppressions_added: 3, rejected_rows: 4 });
  });
});

describe('the run\'s exit code', () => {
  it('is the worst step code: 1 for any failure (a step\'s 2 included), else 3 if any, else 0', () => {
    expect(worstCode([0, 0])).toBe(0);
    expect(worstCode([0, 3, 0])).toBe(3);
    expect(worstCode([0, 3, 1])).toBe(1);
    expect(worstCode([0, 2])).toBe(1);
    expect(worstCode([])).toBe(0);
  });
});
