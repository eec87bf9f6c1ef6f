/**
 * Property test: over many random stores (shared addresses, consents granted and withdrawn in any order,
 * ties on the same instant, suppressions of every kind), no export ever contains a withdrawn or
 * suppressed address for its channel, and it contains exactly the addresses an independent oracle
 * computes from the rules. Each export runs under every strategy of the channel rules (exact SQL per
 * row; bulk reads; suppressions probed rather than held in memory; on export workers), which must all
 * give the same list.
 */
import { describe, expect, it } from 'vitest';
import { addSuppression, type SuppressionKind } from '../../src/export/suppressions.js';
import type { Channel } from '../../src/store/types.js';
import { addConsent, addContact, addScore, addScoreRun, makeStore } from './store.js';
import { exportJsonl } from './run.js';
import type { GateTuning } from '../../src/export/gate.js';
import { mulberry32 as rng } from '../../bench/random.js';


interface Rec {
  id: number;
  email: string | null;
  valid: boolean;
  sms: string | null;
  status: 'active' | 'inactive' | 'merged';
  segment: 'Alpha' | 'Beta';
  consents: { channel: Channel; status: 'granted' | 'withdrawn'; at: string; seq: number }[];
}

const DATES = ['2025-01-01 00:00:00', '2025-02-01 00:00:00', '2025-02-01 00:00:00', '2025-03-01 12:00:00'];
const KINDS: SuppressionKind[] = ['unsubscribed', 'bounced', 'opposition'];
const STRATEGIES: GateTuning[] = [{}, { bulkFrom: 0 }, { bulkFrom: 3, inMemorySuppressions: 0 }];
/** Export workers (parallel.ts) on the first stores: two workers, ranges of a few contacts. */
const WORKERS_ON = 10;

describe('consent and suppression property', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`random store #${seed}`, async () => {
      const random = rng(seed);
      const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
      const { db } = makeStore();
      const emailPool = Array.from({ length: 10 }, (_, i) => `person${i}@example.com`);
      const phonePool = Array.from({ length: 8 }, (_, i) => `+3361234560${i}`);
      const recs: Rec[] = [];
      const run = addScoreRun(db);
      let seq = 0;
      for (let i = 0; i < 40; i++) {
        const email = random() < 0.85 ? pick(emailPool) : null;
        const rec: Rec = {
          id: 0,
          email,
          valid: random() < 0.9,
          sms: random() < 0.5 ? pick(phonePool) : null,
          status: pick(['active', 'active', 'active', 'inactive', 'merged'] as const),
          segment: pick(['Alpha', 'Beta'] as const),
          consents: [],
        };
        rec.id = addContact(db, {
          email: email === null ? null : random() < 0.3 ? ` ${email.toUpperCase()}` : email,
          emailValid: email === null ? null : rec.valid ? 1 : 0,
          sms: rec.sms,
          status: rec.status,
          updatedAt: pick(DATES),
        });
        addScore(db, run, rec.id, { segment: rec.segment });
        const n = Math.floor(random() * 4);
        for (let k = 0; k < n; k++) {
          const consent = { channel: pick(['email', 'sms'] as const), status: pick(['granted', 'granted', 'withdrawn'] as const), at: pick(DATES), seq: ++seq };
          addConsent(db, rec.id, consent.channel, consent.status, consent.at);
          rec.consents.push(consent);
        }
        recs.push(rec);
      }
      const suppressed: { key: string; kind: SuppressionKind }[] = [];
      for (let k = 0; k < 4; k++) {
        const key = random() < 0.5 ? pick(emailPool) : pick(phonePool);
        const kind = pick(KINDS);
        addSuppression(db, key, kind);
        suppressed.push({ key, kind });
      }

      for (const channel of ['email', 'sms'] as const) {
        for (const [includeUnconsented, segments] of [[false, []], [true, []], [false, ['alpha']]] as const) {
          const addressOf = (r: Rec): string | null => (channel === 'email' ? (r.valid ? r.email : null) : r.sms);
          const isSuppressed = (r: Rec): boolean =>
            suppressed.some((s) => (s.key === addressOf(r)) || (s.kind === 'opposition' && (s.key === r.email || s.key === r.sms)));
          const latest = (address: string): string | undefined => {
            const all = recs
              .filter((r) => (channel === 'email' ? r.email : r.sms) === address)
              .flatMap((r) => r.consents.filter((c) => c.channel === channel));
            all.sort((x, y) => (x.at === y.at ? y.seq - x.seq : x.at < y.at ? 1 : -1));
            return all[0]?.status;
          };
          const expected = new Set<string>();
          for (const r of recs) {
            const address = addressOf(r);
            if (!address || r.status !== 'active' || isSuppressed(r)) continue;
            if (segments.length && r.segment !== 'Alpha') continue;
            if (!includeUnconsented && latest(address) !== 'granted') continue;
            expected.add(address);
          }
          const strategies = [...STRATEGIES.map((tuning) => ({ tuning })), ...(seed <= WORKERS_ON ? [{ parallel: { workers: 2, rangeKeys: 7, scanKeys: 5 } }] : [])];
          for (const strategy of strategies) {
            const { rows, result } = await exportJsonl(db, { channel, includeUnconsented, segments: [...segments] }, { columns: [channel === 'email' ? 'email' : 'sms'], ...strategy });
            expect(result.workers).toBe('parallel' in strategy ? 2 : 0);
            const got = rows.map((r) => String(r[channel === 'email' ? 'email' : 'sms']));
            // The safety property itself, stated on its own...
            for (const address of got) {
              expect(suppressed.some((s) => s.key === address)).toBe(false);
              if (!includeUnconsented) expect(latest(address)).toBe('granted');
            }
            // ...and the exact list the rules give, each address once.
            expect(new Set(got).size).toBe(got.length);
            expect([...got].sort()).toEqual([...expected].sort());
          }
        }
      }
      db.close();
    });
  }
});
