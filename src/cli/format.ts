import Table from 'cli-table3';

/** Shared table/number formatting for the score commands (plain ASCII-safe output, no colour). */
export function table(head: string[], rows: Array<Array<string | number>>, alignRightFrom = 1): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (i >= alignRightFrom ? 'right' : 'left')),
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

export function money(minor: number | null | undefined): string {
  if (minor === null || minor === undefined) return '-';
  return (minor / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function integer(n: number): string {
  return n.toLocaleString('en');
}
