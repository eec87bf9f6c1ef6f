import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { openText, parseCsvText } from '../../src/io/readers.js';
import { tempDir } from '../helpers/cli.js';

/** A text stream of `chunks` CSV chunks of 100 rows each, counting how many chunks were read from it. */
function countingCsv(chunks: number): { stream: Readable; read: () => number } {
  let read = 0;
  const stream = new Readable({
    encoding: 'utf8',
    highWaterMark: 1024,
    read() {
      if (read === chunks) {
        this.push(null);
        return;
      }
      const start = read * 100;
      read++;
      this.push(Array.from({ length: 100 }, (_, i) => `${start + i};name ${start + i};x\n`).join(''));
    },
  });
  return { stream, read: () => read };
}

describe('parseCsvText', () => {
  it('stops reading the input while the consumer is behind, so memory does not grow with the file', async () => {
    const { stream, read } = countingCsv(500);
    const rows = parseCsvText(stream, ';');
    const first = await rows.next();
    expect(first.done).toBe(false);
    // A slow consumer: the event loop runs freely for a while before the next batch is asked for.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(read()).toBeLessThan(50);
    let count = first.value!.length;
    for await (const batch of rows) count += batch.length;
    expect(read()).toBe(500);
    expect(count).toBe(500 * 100);
  });
});

describe('openText', () => {
  // Characters of two to four UTF-8 bytes (or a UTF-16 surrogate pair) at every offset around the
  // 64 KiB read boundaries: a character split between two reads must come out whole.
  const text = Array.from({ length: 12_000 }, (_, i) => `${i};Hélène Œuvre € ’ 😀 ${'x'.repeat(i % 7)}\n`).join('');

  it.each([
    ['utf8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])],
    ['utf16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['utf16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
    ['cp1252', Buffer.from(iconv.encode(text.replace(/😀/g, '?'), 'win1252'))],
  ] as const)('decodes a %s file whole across its reads, without the BOM', async (encoding, bytes) => {
    const file = path.join(tempDir(), `text-${encoding}.csv`);
    fs.writeFileSync(file, bytes);
    expect(bytes.length).toBeGreaterThan(3 * 65536);
    let decoded = '';
    for await (const chunk of openText(file, encoding)) decoded += chunk as string;
    expect(decoded).toBe(encoding === 'cp1252' ? text.replace(/😀/g, '?') : text);
  });
});
