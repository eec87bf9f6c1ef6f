/** scripts/demo.sh prints each command so it can be pasted: quotes included, and nothing else changed. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const demo = fs.readFileSync(path.join(ROOT, 'scripts/demo.sh'), 'utf8');
const quoteFunction = /^quote\(\) \{[\s\S]*?^\}/m.exec(demo)?.[0] ?? '';

/** The demo's quote function applied to args, then the printed line read back by bash as a paste would be. */
function roundTrip(args: string[]): { printed: string; parsed: string[] } {
  const script = `${quoteFunction}\nline=$(quote "$@"); printf '%s\\n' "$line"; eval "set -- $line"; printf '%s\\0' "$@"`;
  const result = spawnSync('bash', ['-c', script, 'bash', ...args], { encoding: 'utf8' });
  const [printed, ...rest] = result.stdout.split('\n');
  return { printed: printed!, parsed: rest.join('\n').split('\0').slice(0, -1) };
}

describe('scripts/demo.sh', () => {
  it('echoes each command through its quote function', () => {
    expect(quoteFunction).not.toBe('');
    expect(demo).toMatch(/echo "\\\$ custkit \$\(quote "\$@"\)"/);
  });

  it('prints a segment with a space in quotes, as it must be typed', () => {
    const { printed } = roundTrip(['export', '--segment', 'about to sleep', '--segment', 'promising', '--preset', 'mailchimp', '--out', 'demo/mailchimp.csv']);
    expect(printed).toBe('export --segment "about to sleep" --segment promising --preset mailchimp --out demo/mailchimp.csv');
  });

  it.each([
    [['--name', 'Camille Roux']],
    [['--where', 'city = "Lyon" and r >= 4']],
    [['--map', "Nom d'usage=last_name,Notes=-"]],
    [['suppress', '06 12 34 56 78', '--reason', 'opposition']],
    [['--delimiter', ';', '--x', '$HOME', '--y', 'a`b`\\c!', '']],
  ])('prints %j so that a shell reads the same arguments back', (args) => {
    expect(roundTrip(args).parsed).toEqual(args);
  });
});
