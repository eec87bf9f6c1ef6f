import type { Db } from '../store/db.js';
import { ntileSql, scoreCaseSql, selectQuantileCuts, type Binning, type Bins, type CutPoints } from './binning.js';

/**
 * Each customer's score cell (r, f, m, and c for RFMCCA) as SQL over score_customers `s` and score_mix
 * `x`, ready to be written with the scores, and the number of customers per r·f·m cell.
 *
 * With cut points (quantile or thresholds binning) a score is a few comparisons, so the cells are
 * expressions evaluated as the scores are written, and the counts come from the one read of the
 * measures that the quantile cut points need anyway. NTILE needs window functions over every customer:
 * those cells are computed once into score_cells (`k`), and counted there.
 */
export interface Cells {
  r: string;
  f: string;
  m: string;
  c: string;
  /** Join that makes the expressions valid, after `FROM contacts c LEFT JOIN score_customers s ...`. */
  join: string;
  /** Cut points per measure, absent for NTILE. */
  cuts?: CutPoints;
  /** Customers (frequency > 0) per cell r * 100 + f * 10 + m. */
  counts: Map<number, number>;
}

export interface CellOptions {
  binning: Binning;
  bins: Bins;
  thresholds?: CutPoints;
  rfmcca: boolean;
  /** Names a bound parameter for a value (values are bound, never spliced into SQL). */
  bind: (value: number) => string;
}

export function buildCells(db: Db, o: CellOptions): Cells {
  return o.binning === 'ntile' ? ntileCells(db, o) : cutPointCells(db, o);
}

function cutPointCells(db: Db, o: CellOptions): Cells {
  const measures = readMeasures(db);
  let cuts: CutPoints;
  if (o.binning === 'thresholds') {
    if (!o.thresholds) throw new Error('thresholds binning needs cut points');
    cuts = o.thresholds;
  } else {
    // Selection reorders its input: the cells below are counted on the values in customer order.
    cuts = {
      recency: selectQuantileCuts(measures.recency.slice(), o.bins),
      frequency: selectQuantileCuts(measures.frequency.slice(), o.bins),
      monetary: selectQuantileCuts(measures.monetary.slice(), o.bins),
    };
    if (o.rfmcca) {
      const categories = db.prepare('SELECT categories FROM score_mix').raw().pluck().all() as number[];
      cuts.categories = selectQuantileCuts(Float64Array.from(categories), o.bins);
    }
  }
  // A customer's score is only ever written when they have an order: the same guard as the counts.
  const expression = (measure: keyof CutPoints, column: string) =>
    `CASE WHEN s.frequency > 0 THEN ${scoreCaseSql(column, cuts[measure] ?? [], o.bins, measure === 'recency', o.bind)} END`;
  return {
    r: expression('recency', 's.recency'),
    f: expression('frequency', 's.frequency'),
    m: expression('monetary', 's.monetary'),
    c: o.rfmcca ? expression('categories', 'x.categories') : 'NULL',
    join: '',
    cuts,
    counts: countCells(measures, cuts, o.bins),
  };
}

interface Measures {
  recency: Float64Array;
  frequency: Float64Array;
  monetary: Float64Array;
}

/**
 * Recency, frequency and monetary of every customer with an order: one column per read, since a read of
 * single values costs a third of a read of rows. The three scans walk score_customers in the same order.
 */
function readMeasures(db: Db): Measures {
  const column = (name: string) =>
    Float64Array.from(db.prepare(`SELECT ${name} FROM score_customers WHERE frequency > 0`).raw().pluck().all() as number[]);
  return { recency: column('recency'), frequency: column('frequency'), monetary: column('monetary') };
}

/** Customers per r·f·m cell, scored as `scoreCaseSql` scores them (the count of cut points a value is above). */
function countCells(measures: Measures, cuts: CutPoints, bins: Bins): Map<number, number> {
  const above = (value: number, list: number[]) => {
    let n = 0;
    for (const cut of list) if (value > cut) n++;
    return n;
  };
  const [rc, fc, mc] = [cuts.recency ?? [], cuts.frequency ?? [], cuts.monetary ?? []];
  const tally = new Int32Array(1000);
  for (let i = 0; i < measures.recency.length; i++) {
    const r = bins - above(measures.recency[i]!, rc);
    const f = 1 + above(measures.frequency[i]!, fc);
    const m = 1 + above(measures.monetary[i]!, mc);
    tally[r * 100 + f * 10 + m]!++;
  }
  const counts = new Map<number, number>();
  tally.forEach((n, cell) => n > 0 && counts.set(cell, n));
  return counts;
}

function ntileCells(db: Db, o: CellOptions): Cells {
  const ntile = (column: string, reversed: boolean) => ntileSql(column, o.bins, reversed, 's.contact_id');
  db.exec('CREATE TEMP TABLE score_cells (contact_id INTEGER PRIMARY KEY, r INTEGER, f INTEGER, m INTEGER, c INTEGER)');
  db.prepare(
    `INSERT INTO score_cells SELECT s.contact_id, ${ntile('s.recency', true)}, ${ntile('s.frequency', false)}, ${ntile('s.monetary', false)},
       ${o.rfmcca ? ntile('x.categories', false) : 'NULL'}
     FROM score_customers s ${o.rfmcca ? 'LEFT JOIN score_mix x ON x.contact_id = s.contact_id' : ''}
     WHERE s.frequency > 0 ORDER BY s.contact_id`,
  ).run();
  // A GROUP BY sorts every customer first; an upsert into a table of at most bins³ rows does not.
  db.exec('CREATE TEMP TABLE score_cell_counts (cell INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  db.exec('INSERT INTO score_cell_counts SELECT k.r * 100 + k.f * 10 + k.m, 1 FROM score_cells k WHERE true ON CONFLICT (cell) DO UPDATE SET n = n + 1');
  const counts = new Map<number, number>();
  for (const [cell, n] of db.prepare('SELECT cell, n FROM score_cell_counts').raw().all() as Array<[number, number]>) counts.set(cell, n);
  return { r: 'k.r', f: 'k.f', m: 'k.m', c: 'k.c', join: 'LEFT JOIN score_cells k ON k.contact_id = c.id', counts };
}
