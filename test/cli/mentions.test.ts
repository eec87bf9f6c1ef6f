/**
 * No help text, README or docs page names a command custkit does not have: a user who types it gets
 * "unknown command", and a promise the tool does not keep ("the GDPR purge deletes them") is worse.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';
import { ROOT } from '../helpers/cli.js';
import { helpTexts } from '../helpers/help-texts.js';

const existing = new Set([...commands.map((c) => c.name), 'help']);

/**
 * Commands the design plans (../shared/DESIGN.md) that may not exist yet: a mention of one, even as a
 * bare `name` in backquotes, is a ghost until its module is in src/cli/commands.ts.
 */
const PLANNED = ['report', 'merges', 'mappings', 'contact', 'gdpr', 'audit', 'campaigns', 'run', 'runs'];

/** Phrases that describe a command without naming it, and the command they need. */
const PHRASES: Array<{ pattern: RegExp; needs: string }> = [
  { pattern: /\bGDPR (purge|commands?|erasure command)\b/i, needs: 'gdpr' },
  { pattern: /\b(HTML )?report command\b/i, needs: 'report' },
];

/** `custkit NAME` where a command is typed: a line or code span that starts with it, or after "$ ", "| ", "&& ", or a quote in prose. */
function typedCommands(text: string, markdown: boolean): string[] {
  const found: string[] = [];
  const inCode = markdown ? codeOf(text) : text;
  // A quote starts a command in a help text's prose ('see "custkit exports"'), not in markdown code
  // (mail -s "custkit failed").
  const start = markdown ? /(?:^[ \t]*(?:\$ )?|\| |&& |; |`)custkit ([a-z][a-z-]*)/gm : /(?:^[ \t]*(?:\$ )?|\| |&& |; |"|`)custkit ([a-z][a-z-]*)/gm;
  for (const match of inCode.matchAll(start)) found.push(match[1]!);
  return found;
}

/** The code of a markdown page: fenced blocks and inline code spans (prose may say "custkit never…"). */
function codeOf(markdown: string): string {
  const blocks = [...markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const spans = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => `\`${m[1]!}`);
  return [...blocks, ...spans].join('\n');
}

function ghosts(text: string, markdown: boolean): string[] {
  const found = new Set<string>();
  for (const name of typedCommands(text, markdown)) if (!existing.has(name)) found.add(`custkit ${name}`);
  for (const name of PLANNED) {
    if (existing.has(name)) continue;
    if (new RegExp(`\`${name}\`|\`${name} |\\bcustkit ${name}\\b`).test(text)) found.add(name);
  }
  for (const { pattern, needs } of PHRASES) {
    const match = pattern.exec(text);
    if (match && !existing.has(needs)) found.add(match[0]);
  }
  return [...found];
}

const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('mentions of commands', () => {
  it('finds a ghost in each form it looks for (so the checks below can fail)', () => {
    expect(ghosts('  $ custkit frobnicate --now', false)).toEqual(['custkit frobnicate']);
    expect(ghosts('see "custkit import" and "custkit purge"', false)).toEqual(['custkit purge']);
    if (!existing.has('gdpr')) expect(ghosts('Deleting is the GDPR purge\'s job.', false)).toEqual(expect.arrayContaining(['GDPR purge']));
    expect(ghosts('custkit honours NO_COLOR; `custkit frob --x`', true)).toEqual(['custkit frob']);
    expect(ghosts('```sh\ncustkit import a.csv\ncustkit frob\n```', true)).toEqual(['custkit frob']);
    if (!existing.has('report')) expect(ghosts('what `dedupe` and `report` read', true)).toEqual(['report']);
  });

  it('no help text names a command that does not exist', async () => {
    const found = (await helpTexts()).flatMap((h) => ghosts(h.text, false).map((g) => `custkit ${h.path} --help: ${g}`));
    expect(found).toEqual([]);
  });

  it.each(pages)('%s names no command that does not exist', (page) => {
    expect(ghosts(fs.readFileSync(path.join(ROOT, page), 'utf8'), true)).toEqual([]);
  });
});
