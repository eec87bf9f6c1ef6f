import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { buildOrderTables } from '../../src/score/aggregate.js';
import { clvSummary, groupSummary, summaryRow } from '../../src/score/clv/clv.js';
import { bgnbdData, ClvFitError, expectedPurchases, fitBgNbd, fitGammaGamma } from '../../src/score/clv/models.js';
import { hasSharedData } from '../helpers/cli.js';
import { CDNOW, loadCdnow } from './cdnow-data.js';

/**
 * Correctness against Fader, Hardie & Lee (2005) on the CDNOW sample: the summary is rebuilt by the
 * same SQL the score command uses, from the raw purchase records.
 */
const present = hasSharedData('cdnow/CDNOW_sample.txt');
if (!present) console.warn(`skipping CDNOW correctness tests: ${CDNOW} is absent (it lives outside the repository)`);

const within = (value: number, expected: number, share: number) => expect(Math.abs(value - expected) / expected).toBeLessThanOrEqual(share);

describe.skipIf(!present)('CLV on CDNOW (shared data)', () => {
  const db = present ? openStore(':memory:') : (undefined as unknown as Db);
  if (present) {
    loadCdnow(db);
    buildOrderTables(db, '1997-09-30');
  }
  const summary = () => {
    const ids = new Map(db.prepare("SELECT id, external_id FROM contacts WHERE source = 'cdnow'").raw().all() as Array<[number, string]>);
    const s = clvSummary(db, '1997-09-30');
    return Array.from({ length: s.length }, (_, i) => summaryRow(s, i)).map((r) => ({ ...r, id: Number(ids.get(r.contactId)) }));
  };

  it('rebuilds all 2,357 rows of the published summary (x, t_x, T in weeks)', () => {
    const published = fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const ours = new Map(summary().map((r) => [r.id, r]));
    expect(ours.size).toBe(2357);
    expect(published).toHaveLength(2357);
    const mismatches = published.filter(([id, x, tx, T]) => {
      const r = ours.get(Number(id));
      return !r || r.x !== Number(x) || (r.txDays / 7).toFixed(2) !== Number(tx).toFixed(2) || (r.TDays / 7).toFixed(2) !== Number(T).toFixed(2);
    });
    expect(mismatches).toEqual([]);
  });

  it('rebuilds the mean repeat spend (zbar) of the published Gamma-Gamma input', () => {
    const published = fs.readFileSync(path.join(CDNOW, 'cdnow_customers_summary_with_transactions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const ours = new Map(summary().map((r) => [r.id, r]));
    const off = published.filter(([id, , , , zbar]) => Math.abs(ours.get(id!)!.repeatMeanMinor / 100 - zbar!) > 0.0051);
    expect(off).toEqual([]);
  });

  it('fits BG/NBD to the paper: r, alpha, a, b within 1 %, log-likelihood -9582.4 +- 0.1', () => {
    const fit = fitBgNbd(groupSummary(clvSummary(db, '1997-09-30')).data);
    within(fit.params.r, 0.243, 0.01);
    within(fit.params.alpha, 4.414, 0.01);
    within(fit.params.a, 0.793, 0.01);
    within(fit.params.b, 2.426, 0.01);
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThanOrEqual(0.1);
    // Customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in the next 39 weeks.
    expect(Math.abs(expectedPurchases(fit.params, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThanOrEqual(0.001);
  });

  it('fits Gamma-Gamma on the 946 repeat buyers: p, q, gamma within 1 %', () => {
    const repeat = summary().filter((r) => r.x > 0);
    expect(repeat).toHaveLength(946);
    const fit = fitGammaGamma(Float64Array.from(repeat, (r) => r.x), Float64Array.from(repeat, (r) => r.repeatMeanMinor / 100));
    within(fit.params.p, 6.25, 0.01);
    within(fit.params.q, 3.74, 0.01);
    within(fit.params.gamma, 15.44, 0.01);
  });
});

describe('fit failures are loud', () => {
  it('BG/NBD on customers who never came back has no interior maximum: ClvFitError, not numbers', () => {
    const n = 50;
    const data = bgnbdData(new Float64Array(n), new Float64Array(n), Float64Array.from({ length: n }, (_, i) => 10 + i), new Float64Array(n).fill(1));
    expect(() => fitBgNbd(data)).toThrow(ClvFitError);
    expect(() => fitBgNbd(data)).toThrow(/did not converge/);
  });
});
