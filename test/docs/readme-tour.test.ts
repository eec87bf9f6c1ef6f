/**
 * The README's ten-minute tour is run as written, in order, on a fresh store: a guide whose commands fail
 * is worse than none. A command's expected exit code is 0 unless its comment says "exit N".
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, custkit, tempDir } from '../helpers/cli.js';

interface TourCommand {
  line: string;
  args: string[];
  expected: number;
}

/** Splits a shell command line into words, honouring single and double quotes (all the README uses). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function tourCommands(readme: string): TourCommand[] {
  const start = readme.indexOf('## A ten-minute tour');
  const end = readme.indexOf('\n## ', start + 1);
  const tour = readme.slice(start, end);
  const commands: TourCommand[] = [];
  for (const block of tour.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1].split('\n')) {
      if (!raw.startsWith('custkit ')) continue;
      const comment = raw.match(/\s{2,}#\s*(.*)$/);
      const line = comment ? raw.slice(0, comment.index).trimEnd() : raw.trimEnd();
      const exit = comment?.[1].match(/exit (\d)/);
      commands.push({ line, args: shellWords(line).slice(1), expected: exit ? Number(exit[1]) : 0 });
    }
  }
  return commands;
}

describe('README tour', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const commands = tourCommands(readme);

  it('has commands to run', () => {
    expect(commands.length).toBeGreaterThan(10);
  });

  it('runs every command of the tour, in order, with the exit code it documents', () => {
    const dir = tempDir('readme-tour-');
    const db = path.join(dir, 'custkit.db');
    // Files the tour writes under demo/ land in the test's own folder.
    const outputs = path.join(dir, 'demo');
    fs.mkdirSync(outputs);
    for (const command of commands) {
      const args = command.args.map((a) => (a.startsWith('demo/') ? path.join(dir, a) : a));
      const result = custkit(args, { db });
      expect({ command: command.line, code: result.code, stderr: result.code === command.expected ? '' : result.stderr }).toEqual({
        command: command.line,
        code: command.expected,
        stderr: '',
      });
    }
    // Some thirty commands, a pipeline's dry run among them: a minute alone, more on a loaded machine.
  }, 300_000);
});
