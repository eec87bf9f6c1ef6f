import fs from 'node:fs';
import { z } from 'zod';
import { PRESETS, type SegmentMap } from './presets.js';

export type { SegmentMap, SegmentRule } from './presets.js';

/**
 * Segment maps are data: an ordered list of rules, each a name and either score ranges
 * (`r: [lo, hi]`, omitted = any) or an explicit list of "rfm" cells; the first rule that matches wins,
 * and a cell no rule matches gets the map's fallback. The map is compiled to one SQL CASE expression.
 */
const range = z.tuple([z.number().int().min(1), z.number().int().min(1)]).refine(([lo, hi]) => lo <= hi, {
  message: 'range must be [lo, hi] with lo <= hi',
});

const ruleSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    r: range.optional(),
    f: range.optional(),
    m: range.optional(),
    cells: z.array(z.string().regex(/^[1-9]{3}$/, 'a cell is three score digits, e.g. "545"')).min(1).optional(),
  })
  .strict()
  .refine((rule) => !(rule.cells && (rule.r || rule.f || rule.m)), { message: 'use either cells or r/f/m ranges, not both' });

const mapSchema = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    description: z.string().optional(),
    bins: z.union([z.literal(4), z.literal(5)]),
    fallback: z.string().trim().min(1).max(80),
    segments: z.array(ruleSchema).min(1),
  })
  .strict();

export class SegmentMapError extends Error {}

/** `--segments` takes a preset name or a JSON file. */
export function loadSegmentMap(spec: string): SegmentMap {
  const preset = PRESETS[spec];
  if (preset) return preset;
  if (!fs.existsSync(spec)) {
    throw new SegmentMapError(`--segments ${spec}: not a preset (${Object.keys(PRESETS).join(', ')}) and no such file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(spec, 'utf8'));
  } catch (error) {
    throw new SegmentMapError(`${spec}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = mapSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SegmentMapError(`${spec}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const map: SegmentMap = { name: parsed.data.name ?? spec, ...parsed.data };
  for (const [i, rule] of map.segments.entries()) {
    for (const axis of ['r', 'f', 'm'] as const) {
      const bounds = rule[axis];
      if (bounds && bounds[1] > map.bins) throw new SegmentMapError(`${spec}: segments.${i}.${axis}: scores go up to ${map.bins}`);
    }
    for (const cell of rule.cells ?? []) {
      if ([...cell].some((d) => Number(d) > map.bins)) throw new SegmentMapError(`${spec}: segments.${i}.cells: "${cell}" is outside 1..${map.bins}`);
    }
  }
  return map;
}

/** The default map for a bin count when --segments is not given. */
export function defaultSegmentMap(bins: 4 | 5): SegmentMap {
  return bins === 5 ? PRESETS['rfm10']! : PRESETS['pymc-quartiles']!;
}

/** The segment a cell gets (first matching rule, else the fallback). */
export function segmentOf(map: SegmentMap, r: number, f: number, m: number): string {
  for (const rule of map.segments) if (ruleMatches(rule, r, f, m)) return rule.name;
  return map.fallback;
}

function ruleMatches(rule: SegmentMap['segments'][number], r: number, f: number, m: number): boolean {
  if (rule.cells) return rule.cells.includes(`${r}${f}${m}`);
  const inside = (v: number, b?: [number, number]) => !b || (v >= b[0] && v <= b[1]);
  return inside(r, rule.r) && inside(f, rule.f) && inside(m, rule.m);
}

/** Every r/f/m cell no rule covers (they get the fallback), e.g. ["113", "121"]. */
export function uncoveredCells(map: SegmentMap): string[] {
  const left: string[] = [];
  for (let r = 1; r <= map.bins; r++)
    for (let f = 1; f <= map.bins; f++)
      for (let m = 1; m <= map.bins; m++) if (!map.segments.some((rule) => ruleMatches(rule, r, f, m))) left.push(`${r}${f}${m}`);
  return left;
}

/**
 * The map as a SQL expression over columns r, f, m. Values are bound, never spliced: a custom map's
 * names come from a user file.
 */
export function segmentSql(map: SegmentMap, cols = { r: 'r', f: 'f', m: 'm' }): { sql: string; params: Array<string | number> } {
  const params: Array<string | number> = [];
  const whens = map.segments.map((rule) => {
    let cond: string;
    if (rule.cells) {
      cond = `(${cols.r} * 100 + ${cols.f} * 10 + ${cols.m}) IN (${rule.cells.map(() => '?').join(', ')})`;
      params.push(...rule.cells.map(Number));
    } else {
      const parts: string[] = [];
      for (const axis of ['r', 'f', 'm'] as const) {
        const bounds = rule[axis];
        if (!bounds) continue;
        parts.push(`${cols[axis]} BETWEEN ? AND ?`);
        params.push(bounds[0], bounds[1]);
      }
      cond = parts.length ? parts.join(' AND ') : '1';
    }
    params.push(rule.name);
    return `WHEN ${cond} THEN ?`;
  });
  params.push(map.fallback);
  return { sql: `CASE ${whens.join(' ')} ELSE ? END`, params };
}
