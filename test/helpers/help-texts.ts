/** Every help text of the CLI (top level, each command and subcommand), and the examples they show. */
import type { Command } from 'commander';
import { Writable } from 'node:stream';
import { buildProgram } from '../../src/cli/main.js';
import type { Streams } from '../../src/cli/context.js';

export interface HelpText {
  /** The command path, '' for the top level ("seeds add" for a subcommand). */
  path: string;
  text: string;
  command: Command;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export async function helpTexts(): Promise<HelpText[]> {
  const out = sink();
  const streams = { stdout: out.stream, stderr: out.stream, env: { NO_COLOR: '1' } } as unknown as Streams;
  const program = await buildProgram(streams, () => undefined, 'all');
  const texts: HelpText[] = [];
  const visit = (command: Command, path: string): void => {
    const before = out.text().length;
    command.outputHelp();
    texts.push({ path, text: out.text().slice(before), command });
    for (const sub of command.commands) if (sub.name() !== 'help') visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return texts;
}

/**
 * The command lines of a help text's "Examples:" section: its indented lines up to the first line
 * that is not indented, less comments, the "$ " prompt and the explanation after the command (after
 * two spaces or " #", outside quotes).
 */
export function examplesOf(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Examples:');
  if (start < 0) return [];
  const examples: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) break;
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    examples.push(commandPart(trimmed.replace(/^\$ /, '')));
  }
  return examples;
}

function commandPart(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if ((ch === ' ' && line[i + 1] === ' ') || (ch === ' ' && line[i + 1] === '#')) {
      return line.slice(0, i).trim();
    }
  }
  return line.trim();
}
