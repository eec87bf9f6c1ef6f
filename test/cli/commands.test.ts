import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import { buildProgram, requestedCommand, VALUE_OPTIONS } from '../../src/cli/main.js';
import type { Streams } from '../../src/cli/context.js';

describe('the command table', () => {
  it.each(commands.map((c) => [c.name, c] as const))('%s: the module registers the command the table lists, as the table shows it', async (_name, entry) => {
    const program = new Command('custkit');
    (await entry.load())(program, () => async () => undefined);
    expect(program.commands.map((c) => c.name())).toEqual([entry.name]);
    // The top-level help shows the table's term without loading the module: it must be the module's.
    expect(entry.term).toBe(new Help().subcommandTerm(program.commands[0]!));
    expect(entry.summary).not.toMatch(/\n/);
  });

  it('finds the command in argv after the global options, or the one "help" names', () => {
    const name = (...args: string[]) => requestedCommand(['node', 'custkit', ...args])?.name;
    expect(name('db', 'info')).toBe('db');
    expect(name('--db', 'export', 'export', '--out', 'x.csv')).toBe('export'); // a store file named "export"
    expect(name('-q', '--json', '--no-color', 'validate')).toBe('validate');
    expect(name('--db=x.db', 'clean')).toBe('clean');
    expect(name('help', 'dedupe')).toBe('dedupe');
    expect(name('--help')).toBeUndefined();
    expect(name('frobnicate')).toBeUndefined();
    expect(name()).toBeUndefined();
  });

  it('skips the value of every global option that takes one', async () => {
    const program = await buildProgram({ stdout: process.stdout, stderr: process.stderr, env: {} } as unknown as Streams, () => undefined, 'none');
    const withValue = program.options.filter((o) => o.required || o.optional).map((o) => o.long);
    expect([...VALUE_OPTIONS].sort()).toEqual(withValue.sort());
  });
});
