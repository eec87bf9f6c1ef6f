/**
 * The HTML report's charts, rendered in Node to static SVG strings by Apache ECharts (server-side
 * rendering): the page holds the drawings themselves, needs no script and fetches nothing. Only the
 * chart types used are registered (echarts/core), and the library is loaded on the first chart, so the
 * terminal report never pays for it.
 */
import type { Report } from './build.js';
import { Format, LABELS, type Lang } from './i18n.js';
import { VALUE_EDGES } from './scores.js';

type ECharts = typeof import('echarts/core');
let loaded: Promise<ECharts> | null = null;

/** echarts/core with the bar, line and heat-map charts, their components and the SVG renderer. */
async function echarts(): Promise<ECharts> {
  loaded ??= (async () => {
    const core = await import('echarts/core');
    const charts = await import('echarts/charts');
    const components = await import('echarts/components');
    const renderers = await import('echarts/renderers');
    core.use([charts.BarChart, charts.LineChart, charts.HeatmapChart, components.GridComponent, components.LegendComponent, components.VisualMapComponent, renderers.SVGRenderer]);
    return core;
  })();
  return loaded;
}

// Single quotes only: ECharts writes the family into a double-quoted style attribute without escaping it.
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
export const PALETTE = ['#2f6fb0', '#e0892b', '#3a9d6b', '#c8504a', '#7a5fb0', '#8c8c8c'];
const TEXT = '#2b3440';
const MUTED = '#6b7683';

/** Chart option objects are ECharts' own (checked by the library at render time). */
type Option = Record<string, unknown>;

/** Renders one option to an SVG string of width x height pixels (the SVG scales with its viewBox). */
export async function renderSvg(option: Option, width: number, height: number): Promise<string> {
  const lib = await echarts();
  const chart = lib.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: FONT, color: TEXT, fontSize: 12 }, ...option });
    return chart.renderToSVGString();
  } finally {
    // A chart left undisposed keeps a timer alive and the process from exiting.
    chart.dispose();
  }
}

const axisLabel = { color: MUTED, fontSize: 11 };
const splitLine = { lineStyle: { color: '#e6e9ed' } };

export interface ChartSet {
  segments?: string;
  rfGrid?: string;
  monthly: string;
  cohorts?: string;
  clvValue?: string;
  pAlive?: string;
  migration?: string;
  categories?: string;
  channels?: string;
  reach: string;
}

/** Every chart the report's data allows (a section without data has no chart). */
export async function renderCharts(report: Report, lang: Lang): Promise<ChartSet> {
  const L = LABELS[lang];
  const f = new Format(lang, report.currency.main);
  const money = (minor: number) => f.compactMoney(minor);
  const set: ChartSet = {
    monthly: await renderSvg(
      {
        legend: { top: 0, itemGap: 44, textStyle: { color: MUTED } },
        grid: { left: 70, right: 56, top: 36, bottom: 30 },
        xAxis: { type: 'category', data: report.monthly.map((m) => m.month), axisLabel },
        yAxis: [
          { type: 'value', axisLabel: { ...axisLabel, formatter: (v: number) => money(v) }, splitLine },
          { type: 'value', minInterval: 1, axisLabel, splitLine: { show: false } },
        ],
        series: [
          { name: L.revenue, type: 'line', data: report.monthly.map((m) => m.revenueMinor), symbolSize: 6, lineStyle: { width: 2.5 }, areaStyle: { opacity: 0.08 } },
          { name: L.newCustomersShort, type: 'line', yAxisIndex: 1, data: report.monthly.map((m) => m.newCustomers), symbolSize: 6, lineStyle: { width: 2, type: 'dashed' } },
        ],
      },
      920,
      300,
    ),
    reach: await renderSvg(horizontalBars(
      [L.post, L.sms, L.email],
      [report.fileHealth.reachable.post, report.fileHealth.reachable.sms, report.fileHealth.reachable.email].map((n) => (report.fileHealth.contacts > 0 ? (100 * n) / report.fileHealth.contacts : 0)),
      (v) => f.percent(v / 100, 0),
      100,
    ), 440, 190),
  };
  const scores = report.scores;
  if (scores && scores.segments.length > 0) {
    const rows = [...scores.segments].reverse();
    set.segments = await renderSvg(
      {
        legend: { top: 0, itemGap: 44, textStyle: { color: MUTED } },
        grid: { left: 150, right: 56, top: 30, bottom: 24 },
        xAxis: { type: 'value', max: 100, axisLabel: { ...axisLabel, formatter: '{value} %' }, splitLine },
        yAxis: { type: 'category', data: rows.map((s) => s.segment), axisLabel: { ...axisLabel, color: TEXT, width: 140, overflow: 'truncate' } },
        series: [
          { name: `${L.customers} (${L.share.toLowerCase()})`, type: 'bar', data: rows.map((s) => round1(s.share * 100)), label: { show: true, position: 'right', fontSize: 10, color: MUTED, formatter: (p: { value: number }) => `${f.decimal(p.value, 1)} %` } },
          { name: L.revenueShare, type: 'bar', data: rows.map((s) => round1(s.revenueShare * 100)), label: { show: true, position: 'right', fontSize: 10, color: MUTED, formatter: (p: { value: number }) => `${f.decimal(p.value, 1)} %` } },
        ],
      },
      920,
      Math.max(220, 60 + rows.length * 34),
    );
  }
  if (scores && scores.rfGrid.length > 0) {
    // Every score level of the run, an empty cell included, so the grid keeps its shape.
    const levels = Array.from({ length: Math.max(scores.run.bins, ...scores.rfGrid.map((g) => Math.max(g.r, g.f))) }, (_, i) => i + 1);
    const rs = levels;
    const fs = levels;
    const data = scores.rfGrid.map((g) => [fs.indexOf(g.f), rs.indexOf(g.r), g.customers]);
    set.rfGrid = await renderSvg(heatmap(fs.map((x) => `F${x}`), rs.map((x) => `R${x}`), data, (v) => f.int(v), L.frequency, L.recency, { firstAtBottom: true }), 440, 320);
  }
  if (report.cohorts.length > 0) {
    const width = Math.max(...report.cohorts.map((c) => c.retained.length), 1);
    const cells = report.cohorts.flatMap((c, y) => c.retained.map((share, k) => [k, y, round1(share * 100)]));
    set.cohorts = await renderSvg(
      heatmap(Array.from({ length: width }, (_, k) => `+${k + 1}`), report.cohorts.map((c) => `${c.month} (${f.int(c.customers)})`), cells, (v) => `${f.decimal(v, 0)} %`, L.monthsLater, '', { showZero: true }),
      920,
      Math.max(200, 70 + report.cohorts.length * 26),
    );
  }
  if (scores?.clv) {
    const clv = scores.clv;
    const names = VALUE_EDGES.map((edge, i) => (i + 1 < VALUE_EDGES.length ? `${money(edge)}–${money(VALUE_EDGES[i + 1]!)}` : `≥ ${money(edge)}`));
    set.clvValue = await renderSvg(
      {
        legend: { top: 0, itemGap: 44, textStyle: { color: MUTED } },
        grid: { left: 56, right: 16, top: 34, bottom: 58 },
        xAxis: { type: 'category', data: names, axisLabel: { ...axisLabel, rotate: 35, fontSize: 10 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel, splitLine },
        series: [
          { name: L.clvHistorical, type: 'bar', data: clv.historical.map((b) => b.customers) },
          { name: L.clvPredicted, type: 'bar', data: clv.predicted.map((b) => b.customers) },
        ],
      },
      920,
      300,
    );
    set.pAlive = await renderSvg(
      {
        grid: { left: 56, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: clv.pAlive.map((b) => `${f.decimal(b.from, 1)}–${f.decimal(b.from + 0.1, 1)}`), axisLabel: { ...axisLabel, fontSize: 10 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel, splitLine },
        series: [{ name: L.pAlive, type: 'bar', data: clv.pAlive.map((b) => b.customers), itemStyle: { color: PALETTE[2] } }],
      },
      440,
      260,
    );
  }
  if (scores && scores.migration.length > 0) {
    const order = (names: string[]) => [...new Set(names)].sort((a, b) => (a === '(not scored)' ? 1 : b === '(not scored)' ? -1 : a.localeCompare(b)));
    const froms = order(scores.migration.map((m) => m.from));
    const tos = order(scores.migration.map((m) => m.to));
    const rename = (s: string) => (s === '(not scored)' ? L.notScored : s);
    const data = scores.migration.map((m) => [tos.indexOf(m.to), froms.indexOf(m.from), m.customers]);
    set.migration = await renderSvg(
      heatmap(tos.map(rename), froms.map(rename), data, (v) => f.int(v), '', '', { rotate: true }),
      920,
      Math.max(260, 110 + froms.length * 28),
    );
  }
  for (const [key, rows] of [['categories', report.categories], ['channels', report.channels]] as const) {
    const top = rows.slice(0, 8).reverse();
    if (top.length === 0) continue;
    set[key] = await renderSvg(horizontalBars(top.map((r) => r.name || L.notGiven), top.map((r) => r.revenueMinor), money), 440, Math.max(170, 40 + top.length * 30));
  }
  return set;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** One series of horizontal bars with the value written at the end of each bar. */
function horizontalBars(names: string[], values: number[], format: (v: number) => string, max?: number): Option {
  return {
    grid: { left: 120, right: 70, top: 10, bottom: 10 },
    // Each bar carries its value: axis labels would only crowd the narrow card.
    xAxis: { type: 'value', max, axisLabel: { show: false }, splitLine },
    yAxis: { type: 'category', data: names, axisLabel: { ...axisLabel, color: TEXT, width: 110, overflow: 'truncate' } },
    series: [{ type: 'bar', data: values, barMaxWidth: 22, label: { show: true, position: 'right', fontSize: 11, color: TEXT, formatter: (p: { value: number }) => format(p.value) } }],
  };
}

interface HeatmapStyle {
  /** Column labels on top, slanted (long segment names). */
  rotate?: boolean;
  /** The first row at the bottom (R x F: R5 on top), else at the top (cohorts, migration). */
  firstAtBottom?: boolean;
  /** Write 0 in cells that hold a zero (cohorts: nobody came back), not only blank them. */
  showZero?: boolean;
}

/** A heat map of [x, y, value] cells with each value written in its cell; the colour scale ends at the largest value. */
function heatmap(xs: string[], ys: string[], data: number[][], format: (v: number) => string, xName: string, yName: string, style: HeatmapStyle = {}): Option {
  const top = Math.max(1, ...data.map((d) => d[2]!));
  const rotate = style.rotate === true;
  return {
    grid: { left: 120, right: 16, top: rotate ? 96 : 10, bottom: rotate ? 10 : 44 },
    xAxis: { type: 'category', data: xs, position: rotate ? 'top' : 'bottom', name: xName, nameLocation: 'middle', nameGap: 28, nameTextStyle: { color: MUTED }, axisLine: { show: false }, axisTick: { show: false }, axisLabel: { ...axisLabel, rotate: rotate ? 40 : 0, width: 120, overflow: 'truncate' } },
    yAxis: { type: 'category', data: ys, inverse: style.firstAtBottom !== true, name: yName, nameTextStyle: { color: MUTED }, axisLine: { show: false }, axisTick: { show: false }, axisLabel: { ...axisLabel, color: TEXT, width: 110, overflow: 'truncate' } },
    visualMap: { min: 0, max: top, show: false, inRange: { color: ['#eef3f9', '#9dc1e3', '#2f6fb0'] } },
    series: [{ type: 'heatmap', data, label: { show: true, fontSize: 10, formatter: (p: { value: number[] }) => (p.value[2] || style.showZero ? format(p.value[2]!) : '') }, itemStyle: { borderColor: '#fff', borderWidth: 2 } }],
  };
}
