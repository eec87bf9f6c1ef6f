/**
 * The terminal summary: every line fits in 100 columns. Bars are Unicode block characters (readable in
 * any UTF-8 terminal or log); colour only comes from the `Style` the caller passes (off a TTY, none).
 */
import type { Report } from './build.js';
import { Format, LABELS, type Lang } from './i18n.js';
import { NOT_SCORED } from '../score/report.js';

export const WIDTH = 100;

/** The few styles the summary uses; a chalk instance fits, and so does the identity. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
}

export const PLAIN: Style = { bold: (t) => t, dim: (t) => t };

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `value / max` of `width` cells, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  if (!(max > 0) || value <= 0) return '';
  const eighths = Math.round((Math.min(value, max) / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

/** Display width of a string, counting code points (the report uses no wide characters). */
function len(text: string): number {
  return [...text].length;
}

export function padEnd(text: string, width: number): string {
  const cut = len(text) > width ? [...text].slice(0, Math.max(0, width - 1)).join('') + '…' : text;
  return cut + ' '.repeat(Math.max(0, width - len(cut)));
}

export function padStart(text: string, width: number): string {
  const cut = len(text) > width ? [...text].slice(0, Math.max(0, width - 1)).join('') + '…' : text;
  return ' '.repeat(Math.max(0, width - len(cut))) + cut;
}

/** Columns: [width, align] per column; the text of each cell is cut to fit. */
function row(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((c, i) => (right[i] ? padStart(c, widths[i]!) : padEnd(c, widths[i]!))).join('  ').trimEnd();
}

export function renderTerminal(report: Report, lang: Lang, style: Style = PLAIN): string {
  const L = LABELS[lang];
  const f = new Format(lang, report.currency.main);
  const out: string[] = [];
  const heading = (text: string) => out.push('', style.bold(text));
  const h = report.headline;

  out.push(style.bold(`${L.title} — ${L.asOf} ${report.asOf}`) + (report.baseline ? style.dim(` (${L.since} ${report.baseline})`) : style.dim(` (${L.noBaseline})`)));
  if (report.currency.others.length > 0) out.push(style.dim(`${report.currency.main} + ${report.currency.others.join(', ')}: ${L.currencyMixed}`));

  heading(L.headline);
  const cells: Array<[string, string, string]> = [
    [L.customers, f.int(h.customers.value), f.delta(h.customers.value, h.customers.previous, 'int')],
    [L.revenue12, f.money(h.revenue12.value), f.delta(h.revenue12.value, h.revenue12.previous, 'money')],
    [L.activeCustomers, f.int(h.activeCustomers.value), f.delta(h.activeCustomers.value, h.activeCustomers.previous, 'int')],
    [L.orders12, f.int(h.orders12.value), f.delta(h.orders12.value, h.orders12.previous, 'int')],
    [L.newCustomers, f.int(h.newCustomers.value), f.delta(h.newCustomers.value, h.newCustomers.previous, 'int')],
    [L.averageOrderValue, f.money(h.averageOrderValue.value), f.delta(h.averageOrderValue.value, h.averageOrderValue.previous, 'money')],
    [L.repeatPurchaseRate, f.percent(h.repeatPurchaseRate.value), f.delta(h.repeatPurchaseRate.value, h.repeatPurchaseRate.previous, 'percent')],
    [L.purchaseFrequency, f.decimal(h.purchaseFrequency.value), f.delta(h.purchaseFrequency.value, h.purchaseFrequency.previous, 'decimal')],
    [L.churnRate, f.percent(h.churnRate.value), f.delta(h.churnRate.value, h.churnRate.previous, 'percent')],
    [L.prospects, f.int(report.contacts.prospects), ''],
  ];
  // Two figures a line: label 27, value 12, change 9 = 48 columns each, 4 between.
  for (let i = 0; i < cells.length; i += 2) {
    const half = (c: [string, string, string] | undefined) => (c ? `${padEnd(c[0], 27)}${padStart(c[1], 12)} ${style.dim(padStart(c[2], 8))}` : '');
    out.push(`  ${half(cells[i])}  ${half(cells[i + 1])}`.trimEnd());
  }
  const c = report.contacts;
  out.push(
    style.dim(
      `  ${L.contacts}: ${f.int(c.inFile)} ${L.inFile.toLowerCase()} (${L.active.toLowerCase()} ${f.int(c.active)}, ${L.inactive.toLowerCase()} ${f.int(c.inactive)}), ` +
        `${L.merged.toLowerCase()} ${f.int(c.merged)}, ${L.erased.toLowerCase()} ${f.int(c.erased)}`,
    ),
  );

  const scores = report.scores;
  if (scores) {
    heading(`${L.segments} — ${L.run} ${scores.run.id} (${scores.run.method}, ${L.asOf} ${scores.run.asOf})` + (scores.previous ? style.dim(` ${L.since} ${scores.previous.asOf}`) : ''));
    const widths = [24, 10, 7, 9, 12, 10, 12];
    const right = [false, true, true, true, true, true, true];
    out.push(style.dim(`  ${row([L.segment, L.customers, L.share, L.change, L.revenueShort, L.revenueShareShort, L.aovShort], widths, right)}`));
    for (const s of scores.segments) {
      out.push(`  ${row([s.segment, f.int(s.customers), f.percent(s.share), s.previousCustomers === null ? '' : f.delta(s.customers, s.previousCustomers, 'int'), f.money(s.revenueMinor), f.percent(s.revenueShare), f.money(s.aovMinor)], widths, right)}`);
    }
    if (scores.rfGrid.length > 0) {
      heading(L.rfGrid);
      // Every score level of the run, so an empty row or column still shows.
      const fs = Array.from({ length: Math.max(scores.run.bins, ...scores.rfGrid.map((g) => Math.max(g.r, g.f))) }, (_, i) => i + 1);
      const rs = [...fs].reverse();
      const count = new Map(scores.rfGrid.map((g) => [`${g.r}:${g.f}`, g.customers]));
      out.push(style.dim(`  ${padEnd(`R \\ F`, 8)}${fs.map((x) => padStart(String(x), 11)).join('')}`));
      for (const r of rs) out.push(`  ${padEnd(`R${r}`, 8)}${fs.map((x) => padStart(f.int(count.get(`${r}:${x}`) ?? 0), 11)).join('')}`);
    }
    const moved = scores.migration.filter((m) => m.from !== m.to && m.from !== NOT_SCORED && m.to !== NOT_SCORED).sort((a, b) => b.customers - a.customers).slice(0, 5);
    if (moved.length > 0) {
      heading(`${L.migration} (top 5)`);
      for (const m of moved) out.push(`  ${padEnd(`${m.from} → ${m.to}`, 60)}${padStart(f.int(m.customers), 12)}`);
    }
    if (scores.clv) {
      const clv = scores.clv;
      heading(L.clv + (clv.horizonMonths ? style.dim(` — ${L.horizon} ${clv.horizonMonths} ${L.monthsUnit}`) : ''));
      out.push(`  ${padEnd(L.predictedTotal, 27)}${padStart(f.money(clv.predictedMinor), 14)}    ${padEnd(L.meanPAlive, 27)}${padStart(f.percent(clv.meanPAlive), 12)}`);
      const max = Math.max(...clv.pAlive.map((b) => b.customers));
      out.push(`  ${padEnd(L.pAlive, 12)}${clv.pAlive.map((b) => ' ▁▂▃▄▅▆▇█'[Math.round((8 * b.customers) / (max || 1))]).join('')}  ${style.dim('0 → 1')}`);
    }
  } else {
    out.push('', style.dim(L.noScores));
  }

  heading(L.monthly);
  const maxRevenue = Math.max(0, ...report.monthly.map((m) => m.revenueMinor));
  const maxNew = Math.max(0, ...report.monthly.map((m) => m.newCustomers));
  out.push(style.dim(`  ${padEnd(L.month, 9)}${padEnd(L.revenue, 56)}${L.newCustomersShort}`));
  for (const m of report.monthly) {
    out.push(`  ${padEnd(m.month, 9)}${padEnd(bar(m.revenueMinor, maxRevenue, 40), 42)}${padStart(f.money(m.revenueMinor), 12)}  ${padEnd(bar(m.newCustomers, maxNew, 20), 21)}${padStart(f.int(m.newCustomers), 7)}`.trimEnd());
  }

  for (const [title, rows] of [[L.topCategories, report.categories], [L.topChannels, report.channels]] as const) {
    if (rows.length === 0) continue;
    heading(`${title} (${report.months} ${L.monthsUnit})`);
    const top = rows.slice(0, 8);
    const max = Math.max(0, ...top.map((r) => r.revenueMinor));
    for (const r of top) out.push(`  ${padEnd(r.name || L.notGiven, 23)} ${padEnd(bar(r.revenueMinor, max, 40), 42)}${padStart(f.money(r.revenueMinor), 14)}${padStart(f.percent(r.share), 9)}`.trimEnd());
    if (rows.length > top.length) {
      const rest = rows.slice(top.length).reduce((s, r) => s + r.revenueMinor, 0);
      out.push(style.dim(`  ${padEnd(`${L.other} (${rows.length - top.length})`, 66)}${padStart(f.money(rest), 14)}`));
    }
  }

  heading(L.fileHealth);
  const fh = report.fileHealth;
  const share = (n: number) => f.percent(fh.contacts > 0 ? n / fh.contacts : null);
  out.push(wrap(`  ${L.reachable}: ${L.email} ${f.int(fh.reachable.email)} (${share(fh.reachable.email)}) · ${L.sms} ${f.int(fh.reachable.sms)} (${share(fh.reachable.sms)}) · ${L.post} ${f.int(fh.reachable.post)} (${share(fh.reachable.post)})`, ' · '));
  out.push(wrap(`  ${L.completeness}: ${fh.completeness === null ? '–' : `${f.decimal(fh.completeness, 0)}/100`} · ${L.requiredFailing}: ${f.int(fh.required.failing)}`, ' · '));
  if (fh.invalid.length > 0) out.push(wrap(`  ${L.invalidValues}: ${fh.invalid.map((i) => `${i.field} ${f.int(i.invalid)}`).join(', ')}`));
  out.push(`  ${L.duplicates}: ${f.int(report.duplicates.merges)} ${L.mergesApplied}, ${f.int(report.duplicates.contactsMerged)} ${L.contactsMerged}`);

  if (report.surveys.length > 0) {
    heading(L.surveys);
    for (const s of report.surveys) {
      const detail = s.nps
        ? `${L.nps} ${s.nps.score > 0 ? '+' : ''}${s.nps.score} (${L.promoters.toLowerCase()} ${f.percent(s.nps.promoters, 0)}, ${L.detractors.toLowerCase()} ${f.percent(s.nps.detractors, 0)})`
        : `${L.average} ${f.decimal(s.average, 1)}/${s.scale}, ${L.satisfied.toLowerCase()} ${f.percent(s.satisfied ?? null, 0)}`;
      out.push(wrap(`  ${padEnd(s.column, 30)} ${detail} · ${f.int(s.responses)} ${L.responses}`, ' · '));
    }
  }
  if (report.campaigns.length > 0) {
    heading(L.campaignResults);
    // 97 columns: the channel goes with the campaign's number and name.
    const widths = [20, 10, 7, 9, 8, 8, 8, 9];
    const right = [false, false, true, true, true, true, true, true];
    out.push(style.dim(`  ${row([L.campaign, L.sentOn, L.size, L.deliveredRate, L.openedRate, L.clickedRate, L.bouncedRate, L.unsubscribedRate], widths, right)}`));
    for (const c of report.campaigns) {
      const r = c.results.rates;
      const name = `#${c.id} ${c.channel}${c.name ? ` ${c.name}` : ''}`;
      out.push(`  ${row([name.length > 20 ? `${name.slice(0, 19)}…` : name, c.sentOn, f.int(c.size), f.percent(r.delivered, 0), f.percent(r.opened, 0), f.percent(r.clicked, 0), f.percent(r.bounced, 0), f.percent(r.unsubscribed, 1)], widths, right)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Breaks a long line at a separator so it fits the width, continuation lines indented. */
function wrap(text: string, separator = ', '): string {
  if (len(text) <= WIDTH) return text;
  const lines: string[] = [];
  let line = '';
  const glue = separator.trimEnd();
  for (const part of text.split(separator)) {
    const next = line ? `${line}${separator}${part}` : part;
    if (len(next) > WIDTH - 1 && line) {
      lines.push(`${line}${glue}`);
      line = `    ${part}`;
    } else line = next;
  }
  lines.push(line);
  return lines.join('\n');
}
