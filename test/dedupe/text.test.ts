import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { foldName, jaroWinkler, phoneticFr } from '../../src/dedupe/text.js';
import { rng } from '../../src/dedupe/scoring.js';

const require = createRequire(import.meta.url);
const talismanJw = require('talisman/metrics/jaro-winkler.js') as (a: string, b: string) => number;

describe('Jaro-Winkler', () => {
  it('agrees with talisman on known and random pairs', () => {
    const pairs: Array<[string, string]> = [['martha', 'marhta'], ['dixon', 'dicksonx'], ['jellyfish', 'smellyfish'], ['', 'a'], ['a', 'a'], ['abc', 'xyz'], ['christophe', 'christohpe']];
    const r = rng(5);
    const word = () => Array.from({ length: 1 + Math.floor(r() * 12) }, () => 'aeilmnorst'[Math.floor(r() * 10)]).join('');
    for (let i = 0; i < 5000; i++) pairs.push([word(), word()]);
    for (const [a, b] of pairs) expect(jaroWinkler(a, b)).toBeCloseTo(talismanJw(a, b), 12);
  });
});

describe('names', () => {
  it('folds accents, case and punctuation, and codes French sounds', () => {
    expect(foldName("  D'Arc-Lefèvre ")).toBe('darclefevre');
    expect(foldName('Œuvray')).toBe('oeuvray');
    expect(foldName('---')).toBeNull();
    expect(phoneticFr('gauthier')).toBe(phoneticFr('gautier'));
  });
});
