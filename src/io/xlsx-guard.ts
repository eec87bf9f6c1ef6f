/**
 * Checks a workbook before exceljs reads it, so that no .xlsx can make custkit hold more than the input
 * limits allow: exceljs keeps shared strings and styles in memory and its XML parser buffers a text or a
 * tag whole, and neither has a bound of its own (a 400 KB file whose one shared string inflates to 400 MB
 * took the process to 3.4 GB).
 *
 * Two passes over the zip with yauzl (which counts while inflating and stops at the declared size):
 * 1. headers only: entry count, declared sizes against the limits, compression ratio, and that the local
 *    headers exceljs's streaming unzip will read are the same parts, back to back, that the central
 *    directory lists (a part hidden between them would be read by exceljs and never checked here);
 * 2. every part inflated and scanned, never held: bytes counted, no DTD or entity declaration, no XML text
 *    or tag over the cell size, no row with more cells (or a cell further right) than the column limit.
 */
import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import { InputError } from './errors.js';
import { LimitError, type InputLimits } from './limits.js';

const MAX_ENTRIES = 10_000;
/** A small part may compress very well (a run of empty styled cells): the ratio counts above this size. */
const RATIO_FLOOR = 1 << 20;
/** Slack on the cell size for the tag around a text (`<t xml:space="preserve">`). */
const TAG_SLACK = 4096;
const LT = 0x3c;

interface LocalHeader {
  fileDataStart: number;
  generalPurposeBitFlag: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  fileName: Buffer;
}

/** yauzl's API as used here (its published types predate readLocalFileHeader). */
interface ZipFile extends NodeJS.EventEmitter {
  entryCount: number;
  readEntryCursor: number;
  readEntry(): void;
  close(): void;
  openReadStream(entry: yauzl.Entry, callback: (error: Error | null, stream: Readable) => void): void;
  readLocalFileHeader(entry: yauzl.Entry, callback: (error: Error | null, header: LocalHeader) => void): void;
}

function open(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => (error ? reject(error) : resolve(zip as unknown as ZipFile)));
  });
}

function entries(zip: ZipFile, onEntry: (entry: yauzl.Entry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      try {
        onEntry(entry);
        zip.readEntry();
      } catch (error) {
        reject(error);
      }
    });
    zip.once('end', () => resolve());
    zip.once('error', reject);
    zip.readEntry();
  });
}

const isSheet = (name: string): boolean => /^xl\/worksheets\/[^/]+\.xml$/i.test(name);
const isXml = (name: string): boolean => /\.(xml|rels|vml)$/i.test(name) || name === '[Content_Types].xml';

/** Throws an InputError (a LimitError for a limit) when the workbook breaks one of the rules above. */
export async function guardWorkbook(file: string, displayName: string, limits: InputLimits): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await open(file);
  } catch (error) {
    throw new InputError(`${displayName}: not a valid .xlsx workbook (${(error as Error).message})`);
  }
  try {
    const centralDirectory = zip.readEntryCursor;
    if (zip.entryCount > MAX_ENTRIES) throw new InputError(`${displayName}: not a workbook custkit reads (${zip.entryCount} zip entries; a workbook has a few dozen)`);
    const list: yauzl.Entry[] = [];
    let declared = 0;
    let held = 0;
    await entries(zip, (entry) => {
      declared += entry.uncompressedSize;
      if (declared > limits.maxUnzippedSize) {
        throw new LimitError(displayName, 'maxUnzippedSize', limits.maxUnzippedSize, `the workbook unzips to more than ${declared.toLocaleString('en')} bytes (declared)`);
      }
      if (entry.uncompressedSize > RATIO_FLOOR && entry.uncompressedSize / Math.max(entry.compressedSize, 1) > limits.maxZipRatio) {
        const ratio = Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1));
        throw new LimitError(displayName, 'maxZipRatio', limits.maxZipRatio, `part ${entry.fileName} (compressed ${ratio}:1, a zip bomb?)`);
      }
      if (isXml(entry.fileName) && !isSheet(entry.fileName)) {
        held += entry.uncompressedSize;
        if (held > limits.maxSharedStrings) {
          throw new LimitError(displayName, 'maxSharedStrings', limits.maxSharedStrings, `the shared strings and styles (${held.toLocaleString('en')} bytes)`);
        }
      }
      list.push(entry);
    });
    await checkLayout(zip, list, centralDirectory, displayName);
    let total = 0;
    for (const entry of list) {
      if (entry.fileName.endsWith('/')) continue;
      total = await scanEntry(zip, entry, displayName, limits, total);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${displayName}: not a valid .xlsx workbook (${(error as Error).message})`);
  } finally {
    zip.close();
  }
}

function localHeader(zip: ZipFile, entry: yauzl.Entry): Promise<LocalHeader> {
  return new Promise((resolve, reject) => zip.readLocalFileHeader(entry, (error, header) => (error ? reject(error) : resolve(header))));
}

/**
 * The parts must lie back to back from the first byte to the central directory, each local header
 * agreeing with the central one: what a streaming unzip reads is then exactly what was checked.
 */
async function checkLayout(zip: ZipFile, list: yauzl.Entry[], centralDirectory: number, displayName: string): Promise<void> {
  const sorted = [...list].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader);
  let expected = 0;
  let descriptor = false;
  const bad = (why: string): InputError => new InputError(`${displayName}: not a well-formed .xlsx workbook (${why})`);
  const fits = (offset: number): boolean => offset === expected || (descriptor && [12, 16, 20, 24].includes(offset - expected));
  for (const entry of sorted) {
    if (!fits(entry.relativeOffsetOfLocalHeader)) throw bad(`data the zip directory does not list before part ${entry.fileName}`);
    const local = await localHeader(zip, entry);
    if (local.compressionMethod !== entry.compressionMethod) throw bad(`part ${entry.fileName} has two compression methods`);
    if (local.fileName.toString('utf8') !== entry.fileName && /^[\x20-\x7e]*$/.test(entry.fileName)) throw bad(`part ${entry.fileName} has two names`);
    descriptor = (local.generalPurposeBitFlag & 0x8) !== 0;
    const sizesInLocal = !descriptor && local.compressedSize !== 0xffffffff;
    if (sizesInLocal && (local.compressedSize !== entry.compressedSize || local.uncompressedSize !== entry.uncompressedSize)) {
      throw bad(`part ${entry.fileName} has two sizes`);
    }
    expected = local.fileDataStart + entry.compressedSize;
  }
  if (!fits(centralDirectory)) throw bad('data the zip directory does not list before the directory');
}

function stream(zip: ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s))));
}

/** Inflates one part chunk by chunk, scanning XML as it comes; returns the bytes unzipped so far in all. */
async function scanEntry(zip: ZipFile, entry: yauzl.Entry, displayName: string, limits: InputLimits, totalBefore: number): Promise<number> {
  const input = await stream(zip, entry);
  const scanner = isXml(entry.fileName) ? new XmlScanner(displayName, entry.fileName, limits, isSheet(entry.fileName)) : null;
  let total = totalBefore;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxUnzippedSize) {
        throw new LimitError(displayName, 'maxUnzippedSize', limits.maxUnzippedSize, `the workbook unzips to more than ${total.toLocaleString('en')} bytes`);
      }
      scanner?.push(chunk);
    }
    scanner?.end();
  } finally {
    input.destroy();
  }
  return total;
}

/** Reads the XML of one part as bytes, looking only at what follows each '<'. */
export class XmlScanner {
  private carry: Buffer = Buffer.alloc(0);
  private base = 0; // offset in the part of carry[0]
  private lastLt = 0;
  private cells = 0;
  private row = 0;

  constructor(
    private readonly displayName: string,
    private readonly part: string,
    private readonly limits: InputLimits,
    private readonly sheet: boolean,
  ) {}

  push(chunk: Buffer): void {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let i = 0;
    for (;;) {
      i = data.indexOf(LT, i);
      // A '<' near the end is looked at with the next chunk, when what follows it has arrived.
      if (i < 0 || i > data.length - 64) break;
      this.tag(data, i);
      i++;
    }
    const keep = i < 0 ? data.length : i;
    this.carry = Buffer.from(data.subarray(keep));
    this.base += keep;
    this.checkRun(this.base + this.carry.length);
  }

  end(): void {
    const data = this.carry;
    for (let i = data.indexOf(LT); i >= 0; i = data.indexOf(LT, i + 1)) this.tag(data, i);
    this.checkRun(this.base + data.length);
  }

  private checkRun(position: number): void {
    if (position - this.lastLt > this.limits.maxCellSize + TAG_SLACK) {
      throw new LimitError(this.displayName, 'maxCellSize', this.limits.maxCellSize, `a text or tag in part ${this.part} (more than ${(position - this.lastLt).toLocaleString('en')} bytes)`);
    }
  }

  private tag(data: Buffer, i: number): void {
    this.checkRun(this.base + i);
    this.lastLt = this.base + i;
    const next = data[i + 1];
    if (next === 0x21 /* ! */) {
      const word = data.toString('latin1', i + 2, i + 9);
      if (word.startsWith('DOCTYPE') || word.startsWith('ENTITY')) {
        throw new InputError(`${this.displayName}: part ${this.part} declares a DTD or XML entities, which a workbook never needs (an XML bomb or external-entity attack?); refused`);
      }
      return;
    }
    if (!this.sheet) return;
    if (next === 0x63 /* c */ && isTagEnd(data[i + 2])) {
      this.cells++;
      const column = cellColumn(data, i + 2);
      if (this.cells > this.limits.maxColumns || column > this.limits.maxColumns) {
        const what = column > this.limits.maxColumns ? `a cell in column ${column.toLocaleString('en')}` : `more than ${this.limits.maxColumns.toLocaleString('en')} cells`;
        throw new LimitError(this.displayName, 'maxColumns', this.limits.maxColumns, `row ${this.row || '?'} of part ${this.part} has ${what}`);
      }
    } else if (next === 0x72 /* r */ && data[i + 2] === 0x6f && data[i + 3] === 0x77 && isTagEnd(data[i + 4])) {
      this.cells = 0;
      this.row = rowNumber(data, i + 4) ?? this.row + 1;
    }
  }
}

function isTagEnd(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x3e || byte === 0x2f || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Position just after ` r="` within the tag that starts before `from`, or -1. */
function attributeR(data: Buffer, from: number): number {
  const end = Math.min(data.length - 3, from + 60);
  for (let j = from; j < end; j++) {
    const b = data[j];
    if (b === 0x3e) return -1;
    if (b === 0x72 && data[j + 1] === 0x3d && data[j + 2] === 0x22 && isTagEnd(data[j - 1])) return j + 3;
  }
  return -1;
}

/** The column of a cell's r="XFD12" (1-based), 0 when it has none. */
function cellColumn(data: Buffer, from: number): number {
  let j = attributeR(data, from);
  if (j < 0) return 0;
  let column = 0;
  for (; j < data.length; j++) {
    const b = data[j]! | 0x20; // lower case
    if (b < 0x61 || b > 0x7a) break;
    column = column * 26 + (b - 0x60);
    if (column > 1e9) break;
  }
  return column;
}

function rowNumber(data: Buffer, from: number): number | null {
  let j = attributeR(data, from);
  if (j < 0) return null;
  let n = 0;
  for (; j < data.length && data[j]! >= 0x30 && data[j]! <= 0x39 && n < 1e9; j++) n = n * 10 + data[j]! - 0x30;
  return n || null;
}
