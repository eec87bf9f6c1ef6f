/**
 * The output flags every command that writes a file for people shares with `export`: --delimiter,
 * --encoding, --bom (rejects, validate --out, dedupe --review).
 */
import { Option, type Command } from 'commander';
import { UsageError } from './context.js';

export interface OutputFlags {
  delimiter?: string;
  encoding?: 'utf8' | 'cp1252';
  bom?: boolean;
}

export function delimiterOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' };
  const delimiter = named[value] ?? value;
  if (![',', ';', '\t', '|'].includes(delimiter)) throw new UsageError(`--delimiter ${value}: use , ; tab or |`);
  return delimiter;
}

/** Adds the three flags; `what` names the file in the help. */
export function addOutputFlags(command: Command, defaults: string): Command {
  return command
    .option('--delimiter <d>', `CSV delimiter: , ; tab or | (default: ${defaults})`)
    .addOption(new Option('--encoding <encoding>', `CSV encoding (default: ${defaults})`).choices(['utf8', 'cp1252']))
    .option('--bom', 'start a UTF-8 CSV with a byte-order mark (Excel on Windows)');
}
