import type { Migration } from '../store/migrations.js';

/** The report stage's schema (ids 60-69): an index, no table (the report writes nothing). */
export const reportMigrations: Migration[] = [
  {
    id: 60,
    name: 'report: purchases by date, covering the revenue per day, category, channel and currency',
    // The report's revenue per day x category x channel sums every line of a window of months (2.5 M of
    // 4.8 M lines in the 1 M-contact bench). Without this index that is a table scan and a sort of
    // every line (4-5 s of CPU); with it, a range of the index read in the order the GROUP BY needs,
    // no table row and no sort (0.3 s). Its price: about 45 bytes a purchase line, and a second index
    // to keep up when purchases are imported.
    sql: `CREATE INDEX purchases_day ON purchases(ordered_at, category, channel, currency, amount_minor, contact_id);`,
  },
];
