import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/score/presets.js';
import { loadSegmentMap, segmentOf, SegmentMapError, uncoveredCells } from '../../src/score/segment-map.js';
import { tempDir } from '../helpers/cli.js';

describe('shipped segment maps', () => {
  it('rfm10 covers every one of the 125 cells (no customer falls to the fallback)', () => {
    expect(uncoveredCells(PRESETS['rfm10']!)).toEqual([]);
  });

  it('rfm10 follows the documented R x F grid', () => {
    const map = PRESETS['rfm10']!;
    const grid = (r: number, f: number) => segmentOf(map, r, f, 3);
    expect(grid(5, 5)).toBe('Champions');
    expect(grid(5, 4)).toBe('Champions');
    expect(grid(4, 4)).toBe('Loyal');
    expect(grid(3, 5)).toBe('Loyal');
    expect(grid(5, 2)).toBe('Potential Loyalists');
    expect(grid(5, 1)).toBe('New');
    expect(grid(4, 1)).toBe('Promising');
    expect(grid(3, 3)).toBe('Need Attention');
    expect(grid(3, 2)).toBe('About To Sleep');
    expect(grid(2, 4)).toBe('At Risk');
    expect(grid(1, 5)).toBe("Can't Lose Them");
    expect(grid(2, 2)).toBe('Hibernating');
  });

  it('rfm-package leaves exactly these cells to "Others"', () => {
    const left = uncoveredCells(PRESETS['rfm-package']!);
    // Frequent buyers with the lowest monetary score (x41, x51, 252), and 215 (one big old order):
    // no row of the package's table has them (checked by hand against its ranges).
    expect(left).toEqual(['215', '241', '251', '252', '341', '351', '441', '451', '541', '551']);
    for (const cell of left) expect(segmentOf(PRESETS['rfm-package']!, +cell[0]!, +cell[1]!, +cell[2]!)).toBe('Others');
  });

  it('pymc-quartiles names 46 of the 64 quartile cells and leaves the other 18 to "Other"', () => {
    const left = uncoveredCells(PRESETS['pymc-quartiles']!);
    expect(left).toEqual([
      '121', '131', '141', '142', '213', '221', '231', '241', '242', '321', '331', '341', '342', '421', '431', '432', '441', '442',
    ]);
  });
});

describe('custom segment maps', () => {
  const write = (value: unknown) => {
    const file = path.join(tempDir(), 'map.json');
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('loads a valid file; first match wins, unmatched cells get the fallback', () => {
    const file = write({
      bins: 5,
      fallback: 'Everyone else',
      segments: [
        { name: 'VIP', r: [4, 5], m: [5, 5] },
        { name: 'Recent', r: [4, 5] },
        { name: 'Exact', cells: ['111'] },
      ],
    });
    const map = loadSegmentMap(file);
    expect(segmentOf(map, 5, 1, 5)).toBe('VIP');
    expect(segmentOf(map, 5, 1, 4)).toBe('Recent');
    expect(segmentOf(map, 1, 1, 1)).toBe('Exact');
    expect(segmentOf(map, 2, 3, 3)).toBe('Everyone else');
    expect(uncoveredCells(map)).toHaveLength(125 - 50 - 1);
  });

  it('names the rule and field of a bad map', () => {
    expect(() => loadSegmentMap(write({ bins: 5, fallback: 'x', segments: [{ name: 'A', r: [4, 2] }] }))).toThrow(/segments\.0\.r/);
    expect(() => loadSegmentMap(write({ bins: 4, fallback: 'x', segments: [{ name: 'A', f: [1, 5] }] }))).toThrow(/segments\.0\.f: scores go up to 4/);
    expect(() => loadSegmentMap(write({ bins: 5, segments: [{ name: 'A' }] }))).toThrow(/fallback/);
    expect(() => loadSegmentMap('no-such-preset-or-file')).toThrow(SegmentMapError);
  });
});
