/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched: the
 * Content-Security-Policy forbids it), readable offline, printable on A4 and small enough to attach to
 * an email. Every value from the store is escaped.
 */
import type { Report } from './build.js';
import { renderCharts } from './charts.js';
import { Format, LABELS, type Lang } from './i18n.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f6f8;color:#2b3440;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:28px 20px 40px}
header h1{margin:0;font-size:26px;font-weight:650}
header p{margin:4px 0 0;color:#6b7683}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px;margin:22px 0}
.kpi{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(20,30,40,.08);min-width:0}
.kpi .label{color:#6b7683;font-size:12.5px;line-height:1.3;min-height:2.6em}
.kpi .value{font-size:24px;font-weight:650;margin-top:4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.kpi .delta{font-size:12.5px;color:#6b7683;margin-top:2px;white-space:nowrap}
.delta.up{color:#2e8b57}.delta.down{color:#c0392b}
.grid{display:grid;grid-template-columns:1fr 1fr;grid-auto-flow:row dense;gap:16px}
.card{background:#fff;border-radius:10px;padding:16px 18px;box-shadow:0 1px 2px rgba(20,30,40,.08);min-width:0;break-inside:avoid}
.card.wide{grid-column:1/-1}
.card h2{margin:0 0 2px;font-size:16px;font-weight:650}
.card .note{margin:0 0 8px;color:#6b7683;font-size:12.5px}
.card svg{display:block;width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e6e9ed;text-align:right;white-space:nowrap}
th.text,td.text{text-align:left;white-space:normal;overflow-wrap:anywhere}
th{color:#6b7683;font-weight:600;font-size:12px}
.stats{display:grid;grid-template-columns:1fr auto;gap:4px 12px;margin:6px 0 0;font-size:13px}
.stats dt{color:#6b7683;overflow-wrap:anywhere}.stats dd{margin:0;text-align:right;font-weight:600}
footer{margin-top:24px;color:#8a949e;font-size:12px;text-align:center}
@media (max-width:720px){.grid{grid-template-columns:1fr}}
@media print{body{background:#fff}main{padding:0}.card,.kpi{box-shadow:none;border:1px solid #dde2e7}@page{size:A4;margin:12mm}}
`;

interface Card {
  title: string;
  note?: string;
  body: string;
  wide?: boolean;
}

function card(c: Card): string {
  return `<section class="card${c.wide ? ' wide' : ''}"><h2>${escapeHtml(c.title)}</h2>${c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : ''}${c.body}</section>`;
}

/** A table whose first `textColumns` columns are text (left-aligned), the others figures. */
function tableHtml(head: string[], rows: string[][], textColumns = 1): string {
  const cls = (i: number) => (i < textColumns ? ' class="text"' : '');
  return `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function stats(items: Array<[string, string]>): string {
  return `<dl class="stats">${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

export async function renderHtml(report: Report, lang: Lang): Promise<string> {
  const L = LABELS[lang];
  const f = new Format(lang, report.currency.main);
  const charts = await renderCharts(report, lang);
  const h = report.headline;
  const kpi = (label: string, value: string, now: number | null, before: number | null, kind: 'int' | 'money' | 'percent' | 'decimal', goodWhenUp = true) => {
    const delta = f.delta(now, before, kind);
    const direction = now === null || before === null || now === before ? '' : (now > before) === goodWhenUp ? ' up' : ' down';
    return `<div class="kpi"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="delta${direction}">${escapeHtml(delta || '\u00a0')}</div></div>`;
  };
  const kpis = [
    kpi(L.customers, f.int(h.customers.value), h.customers.value, h.customers.previous, 'int'),
    kpi(L.activeCustomers, f.int(h.activeCustomers.value), h.activeCustomers.value, h.activeCustomers.previous, 'int'),
    kpi(L.newCustomers, f.int(h.newCustomers.value), h.newCustomers.value, h.newCustomers.previous, 'int'),
    kpi(L.revenue12, f.money(h.revenue12.value), h.revenue12.value, h.revenue12.previous, 'money'),
    kpi(L.orders12, f.int(h.orders12.value), h.orders12.value, h.orders12.previous, 'int'),
    kpi(L.averageOrderValue, f.money(h.averageOrderValue.value), h.averageOrderValue.value, h.averageOrderValue.previous, 'money'),
    kpi(L.purchaseFrequency, f.decimal(h.purchaseFrequency.value), h.purchaseFrequency.value, h.purchaseFrequency.previous, 'decimal'),
    kpi(L.repeatPurchaseRate, f.percent(h.repeatPurchaseRate.value), h.repeatPurchaseRate.value, h.repeatPurchaseRate.previous, 'percent'),
    kpi(L.churnRate, f.percent(h.churnRate.value), h.churnRate.value, h.churnRate.previous, 'percent', false),
    kpi(L.prospects, f.int(report.contacts.prospects), null, null, 'int'),
  ].join('');

  const cards: Card[] = [];
  const scores = report.scores;
  const runNote = scores ? `${L.run} ${scores.run.id} · ${scores.run.method} · ${L.asOf} ${scores.run.asOf}` : '';
  if (scores && charts.segments) {
    cards.push({ title: L.segments, note: runNote, body: charts.segments, wide: true });
    cards.push({
      title: `${L.segments} — ${L.revenue.toLowerCase()}`,
      note: scores.previous ? `${L.change}: ${L.since} ${scores.previous.asOf}` : runNote,
      wide: true,
      body: tableHtml(
        [L.segment, L.customers, L.change, L.revenue, L.revenueShare, L.averageOrderValue],
        scores.segments.map((s) => [s.segment, f.int(s.customers), s.previousCustomers === null ? '–' : f.delta(s.customers, s.previousCustomers, 'int'), f.money(s.revenueMinor), f.percent(s.revenueShare), f.money(s.aovMinor)]),
      ),
    });
  } else {
    cards.push({ title: L.segments, body: `<p class="note">${escapeHtml(L.noScores)}</p>`, wide: true });
  }
  cards.push({ title: L.monthly, note: `${report.months} ${L.monthsUnit}`, body: charts.monthly, wide: true });
  if (charts.rfGrid) cards.push({ title: L.rfGrid, note: runNote, body: charts.rfGrid });
  if (charts.pAlive && scores?.clv) {
    const clv = scores.clv;
    cards.push({
      title: L.pAlive,
      note: `${L.meanPAlive} ${f.percent(clv.meanPAlive)} · ${f.int(clv.customers)} ${L.customersUnit}`,
      body: charts.pAlive,
    });
  }
  if (charts.categories) cards.push({ title: L.topCategories, note: `${report.months} ${L.monthsUnit}`, body: charts.categories });
  if (charts.channels) cards.push({ title: L.topChannels, note: `${report.months} ${L.monthsUnit}`, body: charts.channels });
  if (charts.cohorts) cards.push({ title: L.cohorts, note: L.cohortsNote, body: charts.cohorts, wide: true });
  if (charts.clvValue && scores?.clv) {
    const clv = scores.clv;
    cards.push({
      title: L.clv,
      note: `${L.predictedTotal}: ${f.money(clv.predictedMinor)}${clv.horizonMonths ? ` (${L.horizon} ${clv.horizonMonths} ${L.monthsUnit})` : ''}`,
      body: charts.clvValue,
      wide: true,
    });
  }
  if (charts.migration && scores?.previous) {
    cards.push({ title: L.migration, note: `${scores.previous.asOf} → ${scores.run.asOf} · ${L.migrationNote}`, body: charts.migration, wide: true });
  }
  if (report.affinities && report.affinities.rules.length > 0) {
    cards.push({
      title: L.affinities,
      note: `${L.run} ${report.affinities.runId}`,
      wide: true,
      body: tableHtml(
        [L.ifBought, L.then, L.customers, L.support, L.confidence, L.lift],
        report.affinities.rules.map((r) => [r.antecedent.join(' + '), r.consequent, f.int(r.customers), f.percent(r.support), f.percent(r.confidence), f.decimal(r.lift)]),
        2,
      ),
    });
  }
  const fh = report.fileHealth;
  cards.push({
    title: L.fileHealth,
    note: `${f.int(fh.contacts)} ${L.contacts.toLowerCase()} · ${L.reachable.toLowerCase()}`,
    body:
      charts.reach +
      stats([
        [L.completeness, fh.completeness === null ? '–' : `${f.decimal(fh.completeness, 0)}/100`],
        [L.requiredFailing, f.int(fh.required.failing)],
        [`${L.duplicates} (${L.mergesApplied})`, f.int(report.duplicates.merges)],
        [L.contactsMerged, f.int(report.duplicates.contactsMerged)],
      ]),
  });
  const c = report.contacts;
  cards.push({
    title: L.contacts,
    body:
      stats([
        [L.inFile, f.int(c.inFile)],
        [L.active, f.int(c.active)],
        [L.inactive, f.int(c.inactive)],
        [L.customers, f.int(c.customers)],
        [L.prospects, f.int(c.prospects)],
        [L.merged, f.int(c.merged)],
        [L.erased, f.int(c.erased)],
        [L.total, f.int(c.total)],
      ]) + (fh.invalid.length > 0 ? `<p class="note" style="margin-top:10px">${escapeHtml(L.invalidValues)}</p>${tableHtml([L.field, L.invalid, L.filled], fh.invalid.map((i) => [i.field, f.int(i.invalid), f.int(i.filled)]))}` : ''),
  });
  for (const s of report.surveys) {
    cards.push({
      title: `${s.kind === 'nps' ? L.nps : L.satisfaction} — ${s.column}`,
      note: `${f.int(s.responses)} ${L.responses}`,
      body: s.nps
        ? stats([[L.nps, `${s.nps.score > 0 ? '+' : ''}${s.nps.score}`], [L.promoters, f.percent(s.nps.promoters)], [L.passives, f.percent(s.nps.passives)], [L.detractors, f.percent(s.nps.detractors)]])
        : stats([[L.average, `${f.decimal(s.average, 1)}/${s.scale}`], [L.satisfied, f.percent(s.satisfied ?? null)]]),
    });
  }

  if (report.campaigns.length > 0) {
    cards.push({
      title: L.campaignResults,
      wide: true,
      body: tableHtml(
        [L.campaign, L.sentOn, L.channel, L.size, L.deliveredRate, L.openedRate, L.clickedRate, L.bouncedRate, L.unsubscribedRate],
        report.campaigns.map((c) => {
          const r = c.results.rates;
          return [`#${c.id}${c.name ? ` ${c.name}` : ''}`, c.sentOn, c.channel, f.int(c.size), f.percent(r.delivered, 0), f.percent(r.opened, 0), f.percent(r.clicked, 0), f.percent(r.bounced, 0), f.percent(r.unsubscribed, 1)];
        }),
        3,
      ),
    });
  }

  const subtitle = `${L.asOf} ${report.asOf} · ${report.baseline ? `${L.since} ${report.baseline}` : L.noBaseline}` +
    (report.currency.others.length > 0 ? ` · ${report.currency.main} + ${report.currency.others.join(', ')}: ${L.currencyMixed}` : '');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${L.title} — ${report.asOf}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(L.title)}</h1><p>${escapeHtml(subtitle)}</p></header>
<section class="kpis">${kpis}</section>
<div class="grid">
${cards.map(card).join('\n')}
</div>
<footer>${escapeHtml(L.generated)} · ${escapeHtml(report.asOf)}</footer>
</main>
</body>
</html>
`;
}
