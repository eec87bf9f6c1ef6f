/**
 * The import stage: a file (or each sheet of a workbook) into contacts or purchases, in one transaction
 * per file. Settings the file does not state (kind, date order, decimal comma) are decided from the first
 * rows; everything the mapper does not recognise is kept; every row that cannot be read is kept as a reject.
 */
import os from 'node:os';
import { inWriteTransaction, type Db } from '../store/db.js';
import { detectKind, fieldsOf, foldHeader, mapHeaders, parseMapOption, type Field, type ImportKind, type Mapping } from './header-map.js';
import { missingNeeds, refusalMessage } from './required-columns.js';
import { kindOfFields, rememberedKind } from './kind-hints.js';
import { listRemembered, remember, type RememberedColumn } from '../store/source-mappings.js';
import { ImportWriter, type WriteNotes } from '../store/import-writer.js';
import { reimportRules } from '../validate/reimport.js';
import { erasedGate } from '../gdpr/erased-gate.js';
import { cellText, RowMapper, type MappedRow } from './record-mapper.js';
import type { Cell } from './readers.js';
import { delimiterName, inspectFile, InputError, openTables, type RowBatch, type Table } from './tables.js';
import { detectDateOrder, type DateOrder } from './values.js';
import type { Delimiter, Encoding } from './sniff.js';
import { recordAudit } from '../gdpr/audit.js';
import type { InputLimits } from './limits.js';
import { bounded, quotedList } from './quote.js';

export interface ImportRequest {
  file: string;
  /** How messages name the input ('stdin' for '-'). */
  displayName: string;
  kind?: ImportKind;
  sheet?: string;
  allSheets?: boolean;
  map?: string;
  source: string;
  encoding: 'auto' | Encoding;
  delimiter: 'auto' | Delimiter;
  dates: 'auto' | DateOrder;
  currency: string;
  /** --currency was given: it wins over a currency the amount header names ("amount_usd"). */
  currencyGiven?: boolean;
  /** --source was given: a --map is then remembered for that source. */
  sourceGiven?: boolean;
  /** The mappings remembered for this source (read from the store by the caller for a dry run). */
  remembered?: RememberedColumn[];
  force: boolean;
  /** Memory bounds on reading the file (src/io/limits.ts). */
  limits?: InputLimits;
  onProgress?: (rows: number) => void;
}

/** The column "custkit rejects --out" adds: not data, so neither mapped nor kept in attributes. */
export const REJECT_REASON_COLUMN = 'reject_reason';

/** A file refused before anything was written: a needed column is missing (the message says which and how). */
export class RefusedImport extends InputError {}

export interface ColumnChoice {
  column: string;
  field: Field | null;
}

export interface TableSettings {
  sheet: string | null;
  encoding: Encoding | null;
  delimiter: string | null;
  kind: ImportKind;
  headers: string[];
  mapping: Array<{ column: string; field: Field | null }>;
  dateOrder: DateOrder;
  /** How the date order was settled: by --dates, from the sample, assumed (ambiguous), or not needed (no dd/mm dates). */
  dateOrderSource: 'flag' | 'detected' | 'assumed' | 'not needed';
  decimalComma: boolean;
  /** The tool whose export this was recognised as ("Shopify orders"), from its documented columns. */
  tool: string | null;
  /** Columns read and set aside, neither mapped nor kept (the reject_reason of a fixed rejects file). */
  ignored: string[];
  /** Columns mapped by what was remembered for this source. */
  rememberedUsed: ColumnChoice[];
  /** Why the import would refuse this table (a needed column is missing), or null. */
  refusal: string | null;
}

export interface ImportSummary extends TableSettings {
  file: string;
  importId: number | null;
  skipped: boolean;
  /** Why a sheet of an --all-sheets import was skipped when none of its columns is recognised. */
  unrecognised: string | null;
  /** The import this file was already loaded as, when skipped. */
  previousImportId: number | null;
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  emptyRows: number;
  contactsCreated: number;
  source: string;
  /** The --map columns saved for this source by this import (only when --source was given). */
  rememberedSaved: ColumnChoice[];
  mapGiven: boolean;
  sourceGiven: boolean;
  /** Rows imported with cells that could not be read (a consent answer, a date): listed by `custkit rejects`. */
  flagged: number;
  /** The first unreadable cells, with their row and column. */
  unreadable: Array<{ row: number; column: string | null; value: string; message: string }>;
  /** Cells a re-import left as stored: the value clean wrote, spelled the old way in the file. */
  keptAsCleaned: number;
  /** Rows that met a contact an earlier row of the file wrote, and consent conflicts among them. */
  repeated: number;
  consentConflicts: number;
  /** Rows about people who were erased (gdpr erase or purge): skipped, nothing of them stored. */
  suppressed: number;
  notes: WriteNotes;
}

const UNREADABLE_SHOWN = 20;

export interface Preview extends TableSettings {
  file: string;
  rows: Array<{ row: number; result: MappedRow }>;
  /** Rows read after the header, blank ones included (the import counts those followed by data). */
  rowsInFile: number;
}

const SAMPLE_ROWS = 1000;

interface Prepared {
  settings: TableSettings;
  mapper: RowMapper;
  headerNumber: number;
  /** Rows already read for sniffing, still to be imported. */
  pending: RowBatch;
  batches: AsyncGenerator<RowBatch, void, undefined>;
}

function uniqueHeaders(cells: Cell[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((cell, i) => {
    const base = cellText(cell) || `column ${i + 1}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base} (${count})`;
  });
}

function decideDecimalComma(sample: Cell[][], mapping: Mapping, delimiter: string | null): boolean {
  const columns = mapping.flatMap((f, i) => (f === 'amount' || f === 'unit_price' || f === 'quantity' ? [i] : []));
  let comma = 0;
  let dot = 0;
  for (const row of sample) {
    for (const i of columns) {
      const cell = row[i];
      if (typeof cell !== 'string') continue;
      if (/\d,\d{1,2}(?!\d)/.test(cell)) comma++;
      else if (/\d\.\d{1,2}(?!\d)/.test(cell)) dot++;
    }
  }
  if (comma !== dot) return comma > dot;
  return delimiter === ';';
}

/** Reads the header and a sample, and settles every setting the file leaves implicit. */
async function prepareTable(table: Table, request: ImportRequest): Promise<Prepared | null> {
  const sample: Cell[][] = [];
  const sampleNumbers: number[] = [];
  let header: { cells: Cell[]; number: number } | null = null;
  while (sample.length < SAMPLE_ROWS) {
    const next = await table.batches.next();
    if (next.done) break;
    next.value.rows.forEach((row, i) => {
      if (!header) {
        if (row.some((c) => cellText(c) !== '')) header = { cells: row, number: next.value.numbers[i]! };
        return;
      }
      sample.push(row);
      sampleNumbers.push(next.value.numbers[i]!);
    });
  }
  if (!header) return null;
  const found = header as { cells: Cell[]; number: number };
  const headers = uniqueHeaders(found.cells);
  const folded = headers.map(foldHeader);
  const given = parseMapOption(request.map);
  const kind = request.kind ?? kindOfFields([...given.values()]) ?? rememberedKind(folded, request.remembered ?? []) ?? detectKind(headers);
  const remembered = (request.remembered ?? []).filter((r) => r.kind === kind && folded.includes(r.columnKey) && !given.has(r.columnKey));
  const overrides = new Map<string, Field | null>([...remembered.map((r) => [r.columnKey, r.field as Field | null] as const), ...given]);
  const { mapping, profile, currency } = mapHeaders(headers, kind, overrides);
  const missing = mapping.some((f) => f !== null) ? missingNeeds(kind, headers, mapping, sample) : [];
  const where = `${request.displayName}${table.sheet ? ` [${table.sheet}]` : ''}`;
  const dateColumns = mapping.flatMap((f, i) => (f === 'birth_date' || f === 'created_at' || f === 'ordered_at' || f === 'last_activity_at' ? [i] : []));
  const detected = request.dates === 'auto' ? detectDateOrder(sample.flatMap((row) => dateColumns.map((i) => cellText(row[i])))) : null;
  const settings: TableSettings = {
    sheet: table.sheet,
    encoding: table.encoding,
    delimiter: table.delimiter ? delimiterName(table.delimiter) : null,
    kind,
    headers,
    mapping: headers.map((column, i) => ({ column, field: mapping[i] ?? null })),
    dateOrder: request.dates !== 'auto' ? request.dates : detected === 'mdy' ? 'mdy' : 'dmy',
    dateOrderSource: request.dates !== 'auto' ? 'flag' : detected === null ? 'assumed' : detected === 'none' ? 'not needed' : 'detected',
    decimalComma: decideDecimalComma(sample, mapping, table.delimiter),
    tool: profile?.name ?? null,
    ignored: headers.filter((h, i) => h === REJECT_REASON_COLUMN && mapping[i] === null),
    rememberedUsed: remembered.map((r) => ({ column: headers[folded.indexOf(r.columnKey)]!, field: r.field as Field | null })),
    refusal: missing.length ? refusalMessage(where, kind, headers, missing, request.map, !request.kind && !mapping.includes('order_ref')) : null,
  };
  // A currency the amount header names ("amount_usd", "Prix (€)") is the file's, unless --currency says otherwise.
  const fileCurrency = request.currencyGiven ? request.currency : currency ?? request.currency;
  const mapper = new RowMapper({ kind, headers, mapping, dateOrder: settings.dateOrder, decimalComma: settings.decimalComma, currency: fileCurrency });
  return { settings, mapper, headerNumber: found.number, pending: { rows: sample, numbers: sampleNumbers }, batches: table.batches };
}

/** `--dry-run`: what an import would do, from the first rows, writing nothing. */
export async function previewImport(request: ImportRequest, count = 5): Promise<Preview[]> {
  const facts = await inspectFile(request.file);
  const previews: Preview[] = [];
  for await (const table of await openTables(request, facts)) {
    const prepared = await prepareTable(table, request);
    if (!prepared) continue;
    const rows = prepared.pending.rows.slice(0, count).map((row, i) => ({ row: prepared.pending.numbers[i]!, result: prepared.mapper.map(row) }));
    // The rest of the file is read (not mapped): what the import would refuse on reading it (a quote never
    // closed, a row over the column or cell limits) is refused here too, with the same message.
    let rowsInFile = prepared.pending.rows.length;
    for await (const batch of prepared.batches) rowsInFile += batch.rows.length;
    previews.push({ ...prepared.settings, file: request.displayName, rows, rowsInFile });
    if (!request.allSheets) break;
  }
  if (previews.length === 0) throw new InputError(`${request.displayName}: no header row (the file has no data)`);
  return previews;
}

async function importTable(db: Db, prepared: Prepared, request: ImportRequest, sha256: string, progress: { rows: number }): Promise<ImportSummary> {
  const { settings, mapper } = prepared;
  const importId = Number(db.prepare(
    `INSERT INTO imports (file_name, sha256, sheet, kind, source, encoding, delimiter, columns, mapping, started_at, os_user, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
  ).run(request.displayName, sha256, settings.sheet, settings.kind, request.source, settings.encoding, settings.delimiter,
    JSON.stringify(settings.headers), JSON.stringify(Object.fromEntries(settings.mapping.map((m) => [m.column, m.field]))),
    new Date().toISOString(), safeUser()).lastInsertRowid);
  const lineLevel = settings.mapping.some((m) => m.field === 'quantity' || m.field === 'unit_price');
  // A first load into an empty contacts table takes the bulk path (indexes rebuilt once at the end).
  const bulk = settings.kind === 'contacts' && storeIsEmpty(db);
  // Into a store that has contacts, a cell that is a stored value in its old spelling changes nothing.
  const keep = settings.kind === 'contacts' && !bulk ? reimportRules(db) : undefined;
  const erased = erasedGate(db, request.source);
  const writer = new ImportWriter(db, importId, request.source, { lineLevel, bulk, keep, erased });
  const unreadable: ImportSummary['unreadable'] = [];
  let rowsRead = 0;
  let emptyRows = 0;
  let pendingEmpty = 0; // blank lines count only when data follows them: trailing newlines are not rows
  const handle = (batch: RowBatch): void => {
    for (let i = 0; i < batch.rows.length; i++) {
      const row = batch.rows[i]!;
      const number = batch.numbers[i]!;
      const mapped = mapper.map(row);
      if (mapped.kind === 'empty') {
        pendingEmpty++;
        continue;
      }
      emptyRows += pendingEmpty;
      rowsRead += pendingEmpty + 1;
      pendingEmpty = 0;
      if (mapped.kind === 'contact') {
        if (writer.contact(mapped.draft, number) && mapped.draft.issues.length > 0) {
          writer.flag(number, row.map(cellText), mapped.draft.issues);
          for (const issue of mapped.draft.issues) {
            if (unreadable.length < UNREADABLE_SHOWN) unreadable.push({ row: number, column: issue.column, value: issue.value ?? '', message: issue.message });
          }
        }
      }
      else if (mapped.kind === 'purchase') writer.purchase(mapped.draft);
      else {
        writer.reject(number, row.map(cellText), mapped.reasons);
        for (const reason of mapped.reasons) {
          if (reason.value !== undefined && unreadable.length < UNREADABLE_SHOWN) unreadable.push({ row: number, column: reason.column, value: reason.value, message: reason.message });
        }
      }
    }
    progress.rows += batch.rows.length;
    request.onProgress?.(progress.rows);
  };
  handle(prepared.pending);
  for await (const batch of prepared.batches) handle(batch);
  writer.finish();
  const counts = writer.counts;
  db.prepare(
    `UPDATE imports SET finished_at = ?, rows_read = ?, inserted = ?, updated = ?, unchanged = ?, rejected = ?,
       empty_rows = ?, contacts_created = ?, flagged = ?, repeated_rows = ?, consent_conflicts = ?, kept_as_cleaned = ?,
       suppressed = ?, status = 'completed' WHERE id = ?`,
  ).run(new Date().toISOString(), rowsRead, counts.inserted, counts.updated, counts.unchanged, counts.rejected, emptyRows, counts.contactsCreated,
    counts.flagged, counts.repeated, counts.consentConflicts, counts.keptAsCleaned, counts.suppressed, importId);
  return {
    ...settings, file: request.displayName, importId, skipped: false, unrecognised: null, previousImportId: null, rowsRead,
    inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged, rejected: counts.rejected,
    emptyRows, contactsCreated: counts.contactsCreated, rememberedSaved: saveMap(db, request, settings, importId),
    source: request.source, mapGiven: Boolean(request.map), sourceGiven: request.sourceGiven ?? false,
    flagged: counts.flagged, unreadable, keptAsCleaned: counts.keptAsCleaned,
    repeated: counts.repeated, consentConflicts: counts.consentConflicts, suppressed: counts.suppressed, notes: writer.notes,
  };
}

/** Remembers the --map given with --source, in the import's transaction: the next import of the source reuses it. */
function saveMap(db: Db, request: ImportRequest, settings: TableSettings, importId: number | null): ColumnChoice[] {
  if (!request.sourceGiven) return [];
  const given = parseMapOption(request.map);
  const saved = settings.headers.flatMap((column) => {
    const key = foldHeader(column);
    return given.has(key) ? [{ key, column, field: given.get(key) ?? null }] : [];
  });
  remember(db, request.source, settings.kind, saved, importId);
  return saved.map(({ column, field }) => ({ column, field }));
}

/**
 * Every row of a file whose header names no column custkit knows would be rejected: say so before
 * writing anything, with what was read as the header and how to name the columns.
 */
export function noColumnRecognised(file: string, settings: TableSettings): string {
  const shown = quotedList(settings.headers, 'columns', { maxItems: 6 });
  const delimiter = settings.delimiter ? `; it was read with the delimiter "${settings.delimiter}" (--delimiter to change it)` : '';
  return `${file}${settings.sheet ? ` [${bounded(settings.sheet)}]` : ''}: no column is one custkit recognises (header: ${shown})${delimiter}. `
    + `Name them with --map "Column=field,…" (${settings.kind} fields: ${fieldsOf(settings.kind).join(', ')})`;
}

function storeIsEmpty(db: Db): boolean {
  return db.prepare('SELECT NOT EXISTS (SELECT 1 FROM contacts)').pluck().get() === 1;
}

function safeUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? null;
  }
}

/**
 * Imports a file in one transaction: either every table of it lands (with its rejects) or, on any
 * failure, the store is left exactly as it was.
 */
export async function importFile(db: Db, request: ImportRequest): Promise<ImportSummary[]> {
  request.remembered ??= listRemembered(db, request.source);
  const facts = await inspectFile(request.file);
  const tables = await openTables(request, facts);
  const summaries: ImportSummary[] = [];
  const progress = { rows: 0 };
  const previous = db.prepare(
    `SELECT id FROM imports WHERE sha256 = ? AND coalesce(sheet, '') = coalesce(?, '') AND status = 'completed' ORDER BY id DESC LIMIT 1`,
  ).pluck();
  const firstLoad = storeIsEmpty(db);
  const restore = firstLoad ? firstLoadPragmas(db) : importCache(db);
  try {
    await inWriteTransaction(db, async () => {
      for await (const table of tables) {
        const prepared = await prepareTable(table, request);
        if (!prepared) continue;
        const skip = (why: { previousImportId?: number; unrecognised?: string }): ImportSummary => ({
          ...prepared.settings, file: request.displayName, importId: null, skipped: true, unrecognised: why.unrecognised ?? null,
          previousImportId: why.previousImportId ?? null, rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, emptyRows: 0, contactsCreated: 0,
          rememberedSaved: [], source: request.source, mapGiven: Boolean(request.map), sourceGiven: request.sourceGiven ?? false,
          flagged: 0, unreadable: [], keptAsCleaned: 0, repeated: 0, consentConflicts: 0, suppressed: 0, notes: { repeated: [], consentConflicts: [] },
        });
        if (prepared.settings.mapping.every((m) => m.field === null)) {
          const why = noColumnRecognised(request.displayName, prepared.settings);
          // A file, or the sheet asked for, is refused; among --all-sheets, a sheet of notes is passed over.
          if (!request.allSheets) throw new InputError(why);
          await table.batches.return(undefined);
          summaries.push(skip({ unrecognised: why }));
          continue;
        }
        if (prepared.settings.refusal) throw new RefusedImport(prepared.settings.refusal);
        const already = previous.get(facts.sha256, table.sheet) as number | undefined;
        if (already !== undefined && !request.force) {
          await table.batches.return(undefined);
          // The rows are not read again, but the --map given with --source is what the user asked to keep
          // for the source's next files: remembered all the same (saved by no import: this one wrote none).
          summaries.push({ ...skip({ previousImportId: already }), rememberedSaved: saveMap(db, request, prepared.settings, null) });
          continue;
        }
        summaries.push(await importTable(db, prepared, request, facts.sha256, progress));
      }
      if (summaries.length === 0) throw new InputError(`${request.displayName}: no header row (the file has no data)`);
      if (summaries.every((s) => s.unrecognised)) throw new InputError(summaries[0]!.unrecognised!);
      recordAudit(db, { action: 'import', counts: { tables: summaries.length, rows: summaries.reduce((n, s) => n + s.rowsRead, 0), inserted: summaries.reduce((n, s) => n + s.inserted, 0), updated: summaries.reduce((n, s) => n + s.updated, 0), rejected: summaries.reduce((n, s) => n + s.rejected, 0) } });
    });
  } finally {
    restore();
  }
  return summaries;
}

/**
 * Settings for a load into an empty store, restored afterwards. Foreign-key checks cost a lookup per
 * reference on every inserted row (about a sixth of a million-row load) and can only be switched outside a
 * transaction; the rows written reference only the import row and contacts this same load inserted.
 * A smaller page cache keeps the peak memory under budget: appends and index sorts do not need it.
 * A rollback journal instead of the WAL: every page of a first load is new, and new pages are written
 * once, straight into the file (the WAL would write them twice, once to the log and once at checkpoint:
 * a third of the load's commit time). It is just as atomic. Switching needs the only connection; when
 * another process has the store open, the load keeps the WAL.
 */
export function firstLoadPragmas(db: Db): () => void {
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  const journal = db.pragma('journal_mode', { simple: true }) as string;
  db.pragma('foreign_keys = OFF');
  db.pragma(`cache_size = ${FIRST_LOAD_CACHE_SIZE}`);
  const switched = journal === 'wal' && switchJournal(db, 'DELETE');
  return () => {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
    db.pragma(`cache_size = ${cacheSize}`);
    if (switched) switchJournal(db, 'WAL');
  };
}

function switchJournal(db: Db, mode: 'DELETE' | 'WAL'): boolean {
  try {
    return (db.pragma(`journal_mode = ${mode}`, { simple: true }) as string).toUpperCase() === mode;
  } catch {
    return false; // SQLITE_BUSY: another connection has the store open
  }
}

const FIRST_LOAD_CACHE_SIZE = -16384; // KiB: 16 MiB
const IMPORT_CACHE_SIZE = -32768; // KiB: 32 MiB

/**
 * An import into a store that has contacts uses a 32 MiB page cache, restored afterwards: as fast as the
 * 64 MiB other commands use (1M contacts into a non-empty store: 16.5 s either way; 1M unchanged: 6.9 s;
 * 800k order lines: the same), and 30-40 MB lighter. 16 MiB was 10% slower.
 */
function importCache(db: Db): () => void {
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = ${IMPORT_CACHE_SIZE}`);
  return () => db.pragma(`cache_size = ${cacheSize}`);
}
