import fs from 'node:fs';
import crypto from 'node:crypto';
import { isUtf8 } from 'node:buffer';

export type Encoding = 'utf8' | 'utf16le' | 'utf16be' | 'cp1252';
export const ENCODINGS: readonly Encoding[] = ['utf8', 'utf16le', 'utf16be', 'cp1252'];

export type Delimiter = ',' | ';' | '\t' | '|';
export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];

export function delimiterName(delimiter: string): string {
  return delimiter === '\t' ? 'tab' : delimiter;
}

export interface FileFacts {
  path: string;
  size: number;
  sha256: string;
  /** The first bytes, for sniffing. */
  head: Buffer;
  /** Every byte of the file is valid UTF-8 (checked over the whole file, not a sample). */
  validUtf8: boolean;
  bom: 'utf8' | 'utf16le' | 'utf16be' | null;
}

const HEAD_BYTES = 256 * 1024;

/**
 * One streaming pass over the file: its SHA-256 (to skip a file already imported), whether it is UTF-8
 * throughout (a Windows-1252 accent on row 900,000 still counts), and its first bytes for sniffing.
 */
export async function inspectFile(file: string): Promise<FileFacts> {
  const hash = crypto.createHash('sha256');
  const headParts: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  let validUtf8 = true;
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (headLength < HEAD_BYTES) {
      headParts.push(chunk.subarray(0, HEAD_BYTES - headLength));
      headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
    }
    if (validUtf8) {
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const cut = completeUtf8Length(data);
      validUtf8 = isUtf8(data.subarray(0, cut));
      carry = Buffer.from(data.subarray(cut));
    }
  }
  if (validUtf8 && carry.length) validUtf8 = isUtf8(carry);
  const head = Buffer.concat(headParts);
  return { path: file, size, sha256: hash.digest('hex'), head, validUtf8, bom: detectBom(head) };
}

/** Length of the prefix that ends on a whole UTF-8 character (so a chunk boundary never looks invalid). */
function completeUtf8Length(data: Buffer): number {
  let i = data.length;
  // Walk back over at most 3 continuation bytes to the start of the last character.
  let back = 0;
  while (i > 0 && back < 4 && (data[i - 1]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return data.length;
  const lead = data[i - 1]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > back + 1 ? i - 1 : data.length;
}

function detectBom(head: Buffer): FileFacts['bom'] {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  return null;
}

/** UTF-16 by its BOM, UTF-8 when every byte is valid UTF-8, else Windows-1252 (what Excel on Windows writes). */
export function sniffEncoding(facts: Pick<FileFacts, 'bom' | 'validUtf8'>): Encoding {
  if (facts.bom) return facts.bom;
  return facts.validUtf8 ? 'utf8' : 'cp1252';
}

/**
 * The delimiter that splits the first lines into the same number of fields, counting only outside quotes.
 * (PapaParse's own guesser counts a comma inside "Dupont, Jean" and picks ',' for a ';' file.)
 */
export function sniffDelimiter(sampleText: string): Delimiter {
  const lines = logicalLines(sampleText, 50);
  let best: { delimiter: Delimiter; score: number } = { delimiter: ',', score: -1 };
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length / counts.length;
    const score = consistent * 1000 + first;
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}

/** Lines of the sample, a quoted newline not ending a line; the last, possibly cut, line is dropped. */
function logicalLines(text: string, max: number): string[] {
  const lines: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length && lines.length < max; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      const line = text.slice(start, i).replace(/\r$/, '');
      if (line.trim() !== '') lines.push(line);
      start = i + 1;
    }
  }
  if (lines.length === 0 && text.trim() !== '') lines.push(text);
  return lines;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) count++;
  }
  return count;
}
