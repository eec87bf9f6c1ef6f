import fs from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import type { Delimiter, Encoding } from './sniff.js';
import type { CsvRecordGuard } from './csv-guard.js';

/** A cell as a reader gives it: text from CSV; typed values from Excel. */
export type Cell = string | number | boolean | Date | null;

/** Rows in file order; the first row of the first batch is the header. */
export type RowBatches = AsyncGenerator<Cell[][], void, undefined>;

/** Decodes successive byte chunks of one stream; `null` flushes what an unfinished character left. */
type ChunkDecoder = (bytes: Buffer | null) => string;

function chunkDecoder(encoding: Encoding): ChunkDecoder {
  if (encoding === 'utf8' || encoding === 'utf16le') {
    // TextDecoder (simdutf in Node 20) decodes UTF-8 ~1.5x faster than the stream's StringDecoder.
    const decoder = new TextDecoder(encoding === 'utf8' ? 'utf-8' : 'utf-16le', { ignoreBOM: true });
    return (bytes) => (bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode());
  }
  // Node 20's TextDecoder maps 0x80 to U+0080 instead of the euro sign: iconv-lite gets cp1252 right.
  const decoder = iconv.getDecoder(encoding === 'cp1252' ? 'win1252' : 'utf16be', { stripBOM: false });
  return (bytes) => (bytes ? decoder.write(bytes) : decoder.end() ?? '');
}

/**
 * The file's bytes decoded to text, BOM removed, as a stream of strings. Decoded once: strings pass
 * through as strings (a text stream re-encoding them to bytes and back cost a third of a second a 1M-row file).
 */
export function openText(file: string, encoding: Encoding, start = 0, end?: number, watch?: (text: string) => void): Readable {
  // 64 KiB reads: each becomes one parsed batch (see QUEUED_BATCHES for why they are small).
  const bytes = fs.createReadStream(file, { highWaterMark: 1 << 16, start, end });
  const decode = chunkDecoder(encoding);
  let first = true;
  const text = new Transform({
    decodeStrings: false,
    encoding: 'utf8',
    transform(chunk: Buffer, _encoding, done) {
      let piece = decode(chunk);
      if (first && piece !== '') {
        first = false;
        if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      }
      try {
        watch?.(piece);
      } catch (error) {
        done(error as Error);
        return;
      }
      done(null, piece);
    },
    flush(done) {
      done(null, decode(null));
    },
  });
  // pipeline: destroying the text (a reader that stops early) also closes the file.
  pipeline(bytes, text, () => undefined);
  return text;
}

/** The first `maxChars` characters of the decoded file, for sniffing and previews. */
export async function readTextHead(file: string, encoding: Encoding, maxBytes = 256 * 1024): Promise<string> {
  let text = '';
  for await (const chunk of openText(file, encoding, 0, maxBytes - 1)) text += chunk as string;
  return text;
}

/**
 * Batches parsed ahead of the consumer at most (the file is paused beyond that). Few and small (64 KiB of
 * text each): rows still queued when the young generation is swept get promoted, and V8 let promoted
 * garbage pile up in the old generation until the heap, not the data, grew with the file (1M rows with
 * 4 x 256 KiB: peak RSS 240-257 MB, the old space growing all the way; 2 x 64 KiB: 167-173 MB, flat,
 * no slower).
 */
const QUEUED_BATCHES = 2;

/**
 * Streams CSV rows with PapaParse (the benchmark in bench/import.bench.ts measured it ~3x faster than
 * csv-parse here), in batches of one input chunk, pausing the file while the consumer catches up so memory
 * stays flat whatever the file size.
 */
export function readCsvRows(file: string, encoding: Encoding, delimiter: Delimiter, guard?: CsvRecordGuard, unclosedQuote?: UnclosedQuote): RowBatches {
  return parseCsvText(openText(file, encoding, 0, undefined, guard ? (text) => guard.fed(text) : undefined), delimiter, guard, unclosedQuote);
}

/**
 * What a reader that refuses a quote opened and never closed throws: given the row it opens in (1 for
 * the first line) and its column (1-based). PapaParse otherwise reads the rest of the file as that one cell.
 */
export type UnclosedQuote = (row: number, column: number) => Error;

/** CSV rows from a stream of text, read no further ahead than QUEUED_BATCHES batches. */
export async function* parseCsvText(text: Readable, delimiter: Delimiter, guard?: CsvRecordGuard, unclosedQuote?: UnclosedQuote): RowBatches {
  let rows = 0;
  const queue: string[][][] = [];
  let finished = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let parserHandle: Papa.Parser | null = null;
  let paused = false;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  Papa.parse<string[]>(text as unknown as File, {
    delimiter,
    skipEmptyLines: false,
    chunk(results, parser) {
      parserHandle = parser;
      const before = rows;
      rows += results.data.length;
      try {
        const open = unclosedQuote ? results.errors.find((e) => e.code === 'MissingQuotes') : undefined;
        // The error's row counts from the chunk's first row.
        if (open) throw unclosedQuote!(before + (open.row ?? 0) + 1, results.data[open.row ?? 0]?.length ?? 1);
        guard?.parsed(results.meta.cursor, rows);
      } catch (error) {
        failure = error as Error;
        parser.abort();
        notify();
        return;
      }
      queue.push(results.data);
      if (queue.length >= QUEUED_BATCHES && !paused) {
        paused = true;
        // The parser's own pause only stops it parsing: the stream would go on reading the rest of the
        // file into the parser's queue whenever the consumer awaits. Pausing the stream stops the reading.
        parser.pause();
        text.pause();
      }
      notify();
    },
    complete() {
      finished = true;
      notify();
    },
    error(error: Error) {
      failure = error;
      notify();
    },
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const batch = queue.shift();
      if (batch) {
        if (paused && queue.length < 2) {
          paused = false;
          (parserHandle as Papa.Parser | null)?.resume();
          text.resume();
        }
        yield batch;
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    text.destroy();
  }
}
