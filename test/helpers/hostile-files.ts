/**
 * Builds hostile input files for the reliability tests and the torture suite: workbooks written zip
 * byte by zip byte (so headers can lie, parts can hide, and a part can inflate to hundreds of MB from a
 * few hundred KB without that ever being held here), and CSV files with giant fields.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface ZipPart {
  name: string;
  /** The part's bytes, or a generator of them for parts too big to hold (deflated as they come). */
  data: Buffer | string | (() => Iterable<Buffer>);
  /** 0 stored, 8 deflate (default). */
  method?: 0 | 8;
  /** Lie in both headers about the unzipped size. */
  declaredSize?: number;
  /** Left out of the central directory: present in the file, listed nowhere. */
  hidden?: boolean;
}

function crc32(data: Buffer, crc = 0): number {
  return zlib.crc32 ? zlib.crc32(data, crc) : crc32Slow(data, crc);
}

let table: Int32Array | null = null;
function crc32Slow(data: Buffer, previous: number): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = ~previous;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

async function compress(part: ZipPart): Promise<{ body: Buffer; size: number; crc: number }> {
  const pieces = typeof part.data === 'function' ? part.data() : [Buffer.from(part.data)];
  let size = 0;
  let crc = 0;
  if (part.method === 0) {
    const all = Buffer.concat([...pieces]);
    return { body: all, size: all.length, crc: crc32(all) };
  }
  // Deflated piece by piece as they are generated: a 400 MB part is never held whole.
  const counted = Readable.from((function* count() {
    for (const piece of pieces) {
      size += piece.length;
      crc = crc32(piece, crc);
      yield piece;
    }
  })());
  const out: Buffer[] = [];
  for await (const chunk of counted.pipe(zlib.createDeflateRaw({ level: 9 })) as AsyncIterable<Buffer>) out.push(chunk);
  return { body: Buffer.concat(out), size, crc };
}

/** Writes a zip of the parts, in order, to `file`. */
export async function writeZip(file: string, parts: ZipPart[]): Promise<void> {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  let listed = 0;
  for (const part of parts) {
    const { body, size, crc } = await compress(part);
    const name = Buffer.from(part.name);
    const declared = part.declaredSize ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(part.method ?? 8, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    chunks.push(local, name, body);
    if (!part.hidden) {
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt16LE(20, 6);
      header.writeUInt16LE(0, 8);
      header.writeUInt16LE(part.method ?? 8, 10);
      header.writeUInt32LE(0, 12);
      header.writeUInt32LE(crc, 16);
      header.writeUInt32LE(body.length, 20);
      header.writeUInt32LE(declared, 24);
      header.writeUInt16LE(name.length, 28);
      header.writeUInt32LE(offset, 42);
      central.push(header, name);
      listed++;
    }
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(listed, 8);
  end.writeUInt16LE(listed, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...chunks, directory, end]), { mode: 0o600 });
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>`;
const WORKBOOK_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;

export const SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>';
export const SHEET_TAIL = '</sheetData></worksheet>';
const SST_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">';

/** Cells of one row as inline strings, with their r="A1" references. */
export function inlineRow(row: number, values: string[]): string {
  const cells = values.map((v, i) => `<c r="${columnName(i + 1)}${row}" t="inlineStr"><is><t>${v}</t></is></c>`).join('');
  return `<row r="${row}">${cells}</row>`;
}

export function columnName(n: number): string {
  let name = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) name = String.fromCharCode(65 + ((x - 1) % 26)) + name;
  return name;
}

export interface WorkbookOptions {
  sheet?: ZipPart['data'];
  sharedStrings?: ZipPart['data'];
  extra?: ZipPart[];
  /** Changes applied to the parts (lie about a size, hide a part) before writing. */
  edit?: (parts: ZipPart[]) => ZipPart[];
}

/** A minimal workbook: one sheet "Contacts" (header + two contacts by default), optional shared strings. */
export function writeWorkbook(file: string, options: WorkbookOptions = {}): Promise<void> {
  const sheet = options.sheet ?? SHEET_HEAD + inlineRow(1, ['email', 'first_name']) + inlineRow(2, ['ann@example.com', 'Ann']) + inlineRow(3, ['bob@example.com', 'Bob']) + SHEET_TAIL;
  const parts: ZipPart[] = [
    { name: '[Content_Types].xml', data: CONTENT_TYPES },
    { name: '_rels/.rels', data: RELS },
    { name: 'xl/workbook.xml', data: WORKBOOK },
    { name: 'xl/_rels/workbook.xml.rels', data: WORKBOOK_RELS },
    ...(options.sharedStrings ? [{ name: 'xl/sharedStrings.xml', data: options.sharedStrings }] : []),
    { name: 'xl/worksheets/sheet1.xml', data: sheet },
    ...(options.extra ?? []),
  ];
  return writeZip(file, options.edit ? options.edit(parts) : parts);
}

/** `size` bytes of `fill`, in 1 MiB pieces, wrapped in head and tail. */
export function* repeated(head: string, fill: string, size: number, tail: string): Iterable<Buffer> {
  yield Buffer.from(head);
  const piece = Buffer.alloc(1 << 20, fill);
  for (let left = size; left > 0; left -= piece.length) yield left >= piece.length ? piece : piece.subarray(0, left);
  yield Buffer.from(tail);
}

/** The issue's workbook: one shared string of `size` bytes (400 MB inflates from ~400 KB). */
export function writeSharedStringBomb(file: string, size = 400 * 2 ** 20): Promise<void> {
  return writeWorkbook(file, {
    sharedStrings: () => repeated(`${SST_HEAD}<si><t>`, 'A', size, '</t></si></sst>'),
    sheet: SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL,
  });
}

/** A sheet whose XML is `size` bytes of one empty cell repeated (a zip bomb in the part exceljs streams). */
export function writeCellBomb(file: string, size = 512 * 2 ** 20): Promise<void> {
  return writeWorkbook(file, { sheet: () => repeated(`${SHEET_HEAD}<row r="1">`, ' ', size, `</row>${SHEET_TAIL}`) });
}

/** Shared strings declaring an entity expanded a billion times ("billion laughs"). */
export function writeEntityBomb(file: string): Promise<void> {
  const entities = ['<!ENTITY a "aaaaaaaaaa">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`)];
  return writeWorkbook(file, {
    sharedStrings: `<?xml version="1.0"?>\n<!DOCTYPE sst [${entities.join('')}]>\n${SST_HEAD.split('\n')[1]}<si><t>&j;</t></si></sst>`,
    sheet: SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL,
  });
}

/** A header row of `columns` cells (16,384 is Excel's widest). */
export function writeWideSheet(file: string, columns = 16384): Promise<void> {
  return writeWorkbook(file, { sheet: SHEET_HEAD + inlineRow(1, Array.from({ length: columns }, (_, i) => `c${i}`)) + SHEET_TAIL });
}

/** A CSV whose second row holds one field of `size` characters, quoted or not. */
export function writeGiantFieldCsv(file: string, size = 100 * 2 ** 20, quoted = false): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.writeSync(fd, 'email,first_name,notes\nann@example.com,Ann,');
    if (quoted) fs.writeSync(fd, '"');
    const piece = Buffer.alloc(1 << 20, 'x');
    for (let left = size; left > 0; left -= piece.length) fs.writeSync(fd, left >= piece.length ? piece : piece.subarray(0, left));
    fs.writeSync(fd, quoted ? '"\n' : '\n');
  } finally {
    fs.closeSync(fd);
  }
}
