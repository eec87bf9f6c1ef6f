import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCsvText } from '../../src/io/readers.js';

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
