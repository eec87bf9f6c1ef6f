/**
 * One export, start to finish: validate what needs it, select, stream the rows (with trap rows mixed in
 * at random positions when asked), write, and record the export with the SHA-256 of what was written.
 */
import crypto from 'node:crypto';
import { storeAddress, type Db } from '../store/db.js';
import { defaultCountryOf, STALE_SQL, staleCount, validationKey } from '../validate/staleness.js';
import { COLUMNS, DEFAULT_COLUMNS, PRESETS, presetColumns, type DateFormat, type Transform } from './columns.js';
import { csvLineKeys } from './csv-lines.js';
import { transformKind } from './format.js';
import { rowValues, type OutputColumn } from './lines.js';
import { ChannelGate, KEPT, noReasons, type GateTuning, type ReasonCounts } from './gate.js';
import { funnelOf, type Funnel } from './funnel.js';
import { defaultWorkers, ExportWorkers, RANGE_KEYS, SCAN_CHUNK, tasksOf, type ParallelTuning, type WorkerSetup } from './parallel.js';
import { buildQuery, driveBounds, planSelection, registerFunctions, ROW_ID, SelectionError, type BuiltQuery, type Selection, type SelectionPlan } from './select.js';
import { MemberIds, MemberRecorder, recordMembers } from './members.js';
import { resolvePressure } from '../campaigns/pressure.js';
import { pickSeeds, type SeedRow } from './seeds.js';
import { checkOutputPath, ExportSink, type FileResult, type Format } from './writers.js';
import { recordAudit } from '../gdpr/audit.js';
import { nowIso } from './keys.js';
import { completeExportRecord, openExportRecord } from './record.js';

export interface ExportRequest {
  selection: Selection;
  format: Format;
  out: string;
  stdout: NodeJS.WritableStream;
  delimiter?: string;
  encoding?: 'utf8' | 'cp1252';
  bom?: boolean;
  columns?: string[];
  preset?: string;
  dateFormat?: DateFormat;
  withSeeds?: number;
  /** Overrides the preset's rows-per-file limit (header included), e.g. to test splitting. */
  maxRowsPerFile?: number;
  /** Overrides the preset's bytes-per-file limit (a paid plan's larger one, or a smaller one to test). */
  maxBytesPerFile?: number;
  /** The preset's header language, for tools that name attributes in the account's language (Brevo). */
  lang?: 'en' | 'fr';
  onProgress?: (rows: number) => void;
  /** Where the channel rules switch strategy (tests only: every setting gives the same rows). */
  tuning?: GateTuning;
  /** Export worker threads, and how they share the work (tests only: every setting gives the same bytes). */
  parallel?: ParallelTuning;
  /** The campaign's name (custkit campaigns lists it; a results file naming it is matched to it). */
  name?: string;
  /**
   * A file to look at, not to send: recorded (and its members kept) as a campaign marked not sent, so it
   * leaves the pressure cap and takes no results until "campaigns not-sent ID --undo".
   */
  preview?: boolean;
}

export interface ExportResult {
  exportId: number;
  rows: number;
  seeds: number;
  files: FileResult[];
  validated: number;
  runId: number | null;
  unencodable: number;
  /** Worker threads that read the rows (0: this thread did). */
  workers: number;
  /** Why the list holds these rows: the selection and each channel rule's count. */
  funnel: Funnel;
  /** XLSX files larger than the tool takes (they cannot be split by bytes as they are written). */
  oversized: string[];
  /** The bytes-per-file limit the files were held to (null: none). */
  maxBytesPerFile: number | null;
  /** People recorded as the campaign's members (the rows written; seeds are not members). */
  members: number;
  /** The marketing-pressure cap applied, if any. */
  pressure: SelectionPlan['pressure'];
  /** Segments asked for that the run's map defines but no one is in (they selected nobody). */
  emptySegments: string[];
  /** Recorded as a campaign not sent (--preview). */
  preview: boolean;
}

interface Plan {
  headers: string[];
  baseKeys: string[];
  outputs: OutputColumn[];
}

/** The output columns, from the preset, --columns, or the default list. */
function planColumns(request: ExportRequest, runId: number | null): Plan {
  const specs: { header: string; from: string[]; transform: Transform }[] = [];
  if (request.preset) {
    const preset = PRESETS[request.preset];
    if (!preset) throw new SelectionError(`--preset ${request.preset}: unknown preset (presets: ${Object.keys(PRESETS).join(', ')})`);
    for (const c of presetColumns(preset, request.selection.channel, runId !== null, request.lang)) specs.push({ header: c.header, from: c.from, transform: c.transform ?? 'value' });
  } else {
    const keys = request.columns ?? DEFAULT_COLUMNS.filter((k) => runId !== null || !COLUMNS[k]!.scores);
    for (const key of keys) {
      const column = COLUMNS[key];
      if (!column) throw new SelectionError(`--columns: unknown column "${key}" (columns: ${Object.keys(COLUMNS).join(', ')})`);
      if (column.scores && runId === null) throw new SelectionError(`--columns: "${key}" needs a score run (run "custkit score" first)`);
      specs.push({ header: key, from: [key], transform: 'value' });
    }
  }
  const baseKeys = [...new Set(specs.flatMap((s) => s.from))];
  const outputs = specs.map((s) => {
    const sourceKind = COLUMNS[s.from[0]!]!.kind;
    return { header: s.header, from: s.from.map((k) => baseKeys.indexOf(k)), transform: s.transform, sourceKind, kind: transformKind(s.transform, sourceKind) };
  });
  return { headers: specs.map((s) => s.header), baseKeys, outputs };
}

/** N distinct slots among `total + n` output rows, uniformly at random. */
function seedSlots(total: number, n: number): number[] {
  const slots = new Set<number>();
  while (slots.size < n) slots.add(crypto.randomInt(total + n));
  return [...slots].sort((a, b) => a - b);
}

/**
 * A seed's row, laid out like a selected row (`positions`: where each column is): its own email and
 * name, other identifying columns empty, the rest copied from a real row.
 */
function seedBase(seed: SeedRow, baseKeys: string[], positions: number[], neighbour: unknown[] | null): unknown[] {
  const row = new Array<unknown>(Math.max(0, ...positions) + 1).fill(null);
  baseKeys.forEach((key, i) => {
    const at = positions[i]!;
    if (key === 'email') row[at] = seed.email;
    else if (key === 'first_name') row[at] = seed.first_name;
    else if (key === 'last_name') row[at] = seed.last_name;
    else if (key === 'uid') row[at] = seed.uid;
    else if (key.endsWith('consent')) row[at] = 'granted';
    else if (!COLUMNS[key]!.personal) row[at] = neighbour ? neighbour[at] : null;
  });
  return row;
}

/**
 * The rows that leave, in order: the statement's selected rows through the channel rules, up to
 * --limit. `counts` gets what the rules made of each row examined (the funnel).
 */
function* selectedRows(db: Db, query: BuiltQuery, limit: number | undefined, tuning: GateTuning | undefined, counts: ReasonCounts, members: MemberIds | null): Generator<unknown[], void, undefined> {
  const statement = db.prepare(query.sql).raw(true);
  const rows = statement.iterate(...query.params) as IterableIterator<unknown[]>;
  const cellAt = query.memberColumn;
  const cellOf = (row: unknown[]): string | null => (cellAt === null ? null : (row[cellAt] as string | null));
  if (!query.gate) {
    // post: the statement applies every rule and the limit; members' address hashes are read in SQL.
    for (const row of rows) {
      members?.push(row[ROW_ID] as number, null, cellOf(row));
      yield row;
    }
    return;
  }
  if (limit === 0) return;
  // Made at the first row, once the statement has begun: the suppressions it reads belong to the same
  // snapshot of the store as the rows.
  let gate: ChannelGate | null = null;
  let n = 0;
  for (const row of rows) {
    gate ??= new ChannelGate(db, query.gate, tuning);
    const reason = gate.decide(row);
    counts[reason]++;
    if (reason !== KEPT) continue;
    members?.push(row[ROW_ID] as number, gate.keyHash(row), cellOf(row));
    yield row;
    if (++n === limit) return; // leaving the loop closes the statement
  }
}

/** Below this many drive keys (contacts, or scores), an export stays on one thread. */
const PARALLEL_FROM = 100_000;

interface Parallel {
  workers: ExportWorkers;
  bounds: { min: number; max: number };
  width: number;
}

/**
 * Starts the export's workers when the export can run on them: a channel with an address key, a text
 * format, no seeds, no per-file row limit it could reach (rows are handed over in ranges), and a
 * --limit, if any, that one thread would not reach before it reads the channel rules in bulk (gate.ts),
 * in UTF-8; a store in a file, with nothing uncommitted on this connection. Null otherwise.
 */
function startWorkers(db: Db, request: ExportRequest, selected: SelectionPlan, plan: Plan, dateFormat: DateFormat, delimiter: string, encoding: 'utf8' | 'cp1252', maxRows: number | undefined): Parallel | null {
  const format = request.format;
  const tuning = request.parallel ?? {};
  if (format === 'xlsx' || (request.withSeeds ?? 0) > 0 || tuning.workers === 0) return null;
  if (db.memory || db.inTransaction) return null;
  const query = buildQuery(selected, plan.baseKeys, 'rows', { ranged: true });
  const bounds = query.gate ? driveBounds(db, query) : null;
  if (!query.gate || !bounds) return null;
  const keys = bounds.max - bounds.min + 1;
  if (maxRows !== undefined && keys > maxRows - 1) return null;
  const limit = request.selection.limit;
  if (limit !== undefined && (encoding !== 'utf8' || (tuning.workers === undefined && limit <= Math.max(2_000, keys / 200)))) return null;
  const count = tuning.workers ?? (keys >= PARALLEL_FROM ? defaultWorkers() : 0);
  if (count < 1) return null;
  const kinds = plan.outputs.map((o) => o.kind);
  const lineKeys = format === 'csv' ? csvLineKeys(plan.outputs, plan.baseKeys) : null;
  const lines = lineKeys ? buildQuery(selected, plan.baseKeys, 'rows', { ranged: true, csvLine: { keys: lineKeys, kinds, delimiter } }) : null;
  const setups = Array.from({ length: count }, (_, worker): WorkerSetup => ({
    store: storeAddress(db),
    mmapBytes: mmapBytes(),
    sql: lines ? lines.sql : query.sql,
    params: query.params,
    valuesSql: lines ? query.sql : undefined,
    driveColumn: lines?.driveColumn ?? -1,
    tasks: tasksOf(worker, count),
    scanKeys: tuning.scanKeys ?? SCAN_CHUNK,
    staleSql: STALE_SQL,
    staleKey: validationKey(defaultCountryOf(db)),
    gate: query.gate!,
    memberColumn: query.memberColumn,
    consentMasks: lines?.consentMasks ?? 0,
    tuning: request.tuning,
    positions: query.positions,
    outputs: plan.outputs,
    dateFormat,
    format,
    headers: plan.headers,
    kinds,
    delimiter,
    encoding,
    limited: limit !== undefined,
  }));
  const workers = ExportWorkers.start(setups);
  return workers ? { workers, bounds, width: tuning.rangeKeys ?? RANGE_KEYS } : null;
}

/**
 * No memory map by default: mapped pages count in RSS, which is what users and memory limits see, and
 * each connection (the main one and every worker's) maps its own. Measured by `npm run bench:export --
 * --lived-in` on 1M-contact stores (bench/README.md, "Export memory"): peak RSS 414-420 MB without a
 * map on both the fresh and the lived-in store, 814-932 MB with 256 MiB per connection, 1.35-1.70 GB at
 * SQLite's 2 GiB ceiling (the setting before: RSS grew with the store); CPU time within the noise of a
 * loaded machine (6.5-7.7 s either way). Without a map, pages go through each connection's page cache,
 * which is bounded. CUSTKIT_EXPORT_MMAP maps up to that many bytes per connection (bytes, or k/M/G).
 */
function mmapBytes(): number {
  const text = process.env.CUSTKIT_EXPORT_MMAP;
  if (text === undefined || text === '') return 0;
  const match = /^\s*(\d+)\s*([kmg]?)\s*$/i.exec(text);
  if (!match) throw new SelectionError(`CUSTKIT_EXPORT_MMAP=${text}: not a size (bytes, or with k, M or G: 256M, 1G; 0 turns the memory map off)`);
  return Number(match[1]) * 1024 ** ' kmg'.indexOf((match[2] || ' ').toLowerCase());
}

export async function runExport(db: Db, request: ExportRequest): Promise<ExportResult> {
  registerFunctions(db);
  db.pragma(`mmap_size = ${mmapBytes()}`);
  const format = request.format;
  const encoding = request.encoding ?? (request.preset ? PRESETS[request.preset]?.encoding : undefined) ?? 'utf8';
  if (format !== 'csv' && (encoding !== 'utf8' || request.bom)) throw new SelectionError('--encoding and --bom apply to CSV only (XLSX and JSON are always UTF-8)');
  if (encoding === 'cp1252' && request.bom) throw new SelectionError('--bom marks UTF-8: it cannot be used with --encoding cp1252');
  const withSeeds = request.withSeeds ?? 0;
  if (withSeeds > 0 && request.selection.channel !== 'email') throw new SelectionError('seeds are email addresses: --with-seeds needs --channel email');
  const tool = request.preset ? PRESETS[request.preset] : undefined;
  if (tool && !(tool.formats as readonly string[]).includes(format)) {
    throw new SelectionError(`--format ${format}: ${tool.tool} imports ${tool.formats.map((f) => f.toUpperCase()).join(' or ')} files only (${tool.doc}); write --out FILE.${tool.formats[0]}`);
  }
  if (request.lang && request.lang !== 'en' && !tool?.langs?.includes(request.lang)) {
    throw new SelectionError(`--lang ${request.lang}: ${tool ? `${tool.tool}'s headers have one language` : 'headers in another language need a preset that has them (brevo)'}`);
  }

  // The selection, resolved once: every statement below, the funnel and the members are built from it.
  const selected = planSelection(db, request.selection, resolvePressure(db, request.selection));
  const runId = selected.runId;
  const plan = planColumns(request, runId);
  const preset = request.preset ? PRESETS[request.preset] : undefined;
  const query = buildQuery(selected, plan.baseKeys);
  const dateFormat = request.dateFormat ?? preset?.dateFormat ?? 'iso';
  const maxRows = request.maxRowsPerFile ?? preset?.maxRowsPerFile;
  // Bytes are counted as written for text formats; an XLSX file is compressed (checked once written).
  const maxBytes = format === 'csv' ? (request.maxBytesPerFile ?? preset?.maxBytesPerFile) : undefined;
  const delimiter = request.delimiter ?? preset?.delimiter ?? ',';
  checkOutputPath(request.out);
  const seeds: SeedRow[] = withSeeds > 0 ? pickSeeds(db, withSeeds) : [];
  let parallel = startWorkers(db, request, selected, plan, dateFormat, delimiter, encoding, maxRows);
  let validated = 0;
  try {
    // Workers check in their snapshot that no contact needs validating; when some do, or the workers
    // cannot have one snapshot, this thread validates and exports on its own. The write lock taken for
    // their snapshot is held to the end: the export is recorded (members included) while the rows are
    // read, and committed once they are written. Other writers wait for it (busy_timeout, --wait), as
    // they would for any command's transaction; readers never do (WAL).
    if (parallel && (await parallel.workers.prepare(db)) !== 'ready') {
      await parallel.workers.close();
      parallel = null;
    }
    // Only now that every option checked out: validation may write (validated columns), a usage error must not.
    // The validators are loaded only when some contact needs them (about 0.2 s of module loading).
    if (!parallel && staleCount(db) > 0) validated = (await import('../validate/ensure.js')).ensureValidated(db);
  } catch (error) {
    await parallel?.workers.close();
    if (parallel && db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  const held = parallel !== null;
  try {
    return await exportRows(db, request, { selected, plan, query, seeds, parallel, validated, dateFormat, delimiter, encoding, maxRows, maxBytes, preset, withSeeds });
  } catch (error) {
    // A failed export leaves no trace: nothing of its record, none of its members.
    if (held && db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

interface Ready {
  selected: SelectionPlan;
  plan: Plan;
  query: BuiltQuery;
  seeds: SeedRow[];
  /** Workers, ready, with the write transaction held (ExportWorkers.prepare); null: this thread reads the rows. */
  parallel: Parallel | null;
  validated: number;
  dateFormat: DateFormat;
  delimiter: string;
  encoding: 'utf8' | 'cp1252';
  maxRows: number | undefined;
  maxBytes: number | undefined;
  preset: (typeof PRESETS)[string] | undefined;
  withSeeds: number;
}

/** Members recorded at a time while workers read the rows: a few ranges' worth, about 20 ms of this thread. */
const MEMBER_BATCH = 1 << 15;

/** The rows, written, then the export recorded (in the transaction `parallel` holds, else in one of its own). */
async function exportRows(db: Db, request: ExportRequest, ready: Ready): Promise<ExportResult> {
  const { selected, plan, query, seeds, parallel, validated, dateFormat, delimiter, encoding, maxRows, maxBytes, preset, withSeeds } = ready;
  const format = request.format;
  const runId = selected.runId;
  const selection = request.selection;

  let slots: number[] = [];
  if (withSeeds > 0) {
    const count = buildQuery(selected, plan.baseKeys, 'count');
    let total = 0;
    for (const _ of selectedRows(db, count, request.selection.limit, request.tuning, noReasons(), null)) total++;
    slots = seedSlots(total, seeds.length);
  }

  const sink = new ExportSink(plan.headers, plan.outputs.map((o) => o.kind), {
    format,
    out: request.out,
    stdout: request.stdout,
    delimiter,
    encoding,
    bom: request.bom ?? false,
    // In parallel, the rows cannot reach the limit (startWorkers checked).
    maxRowsPerFile: maxRows !== undefined && !parallel ? maxRows - 1 : undefined,
    maxBytesPerFile: maxBytes,
  });
  const toValues = rowValues(plan.outputs, query.positions, dateFormat);

  let rows = 0;
  const counts = noReasons();
  const members = new MemberIds();
  // The export's row comes first (its members refer to it); what is known once the files are written
  // is filled in then. In the transaction the workers' lock holds, the members are recorded as the
  // rows come, on this thread while the workers read the next ones.
  const openRecord = (): number =>
    openExportRecord(db, {
      channel: selection.channel,
      includeUnconsented: selection.includeUnconsented,
      selection: { segments: selection.segments, run: runId, tags: selection.tags, where: selection.where ?? null, status: selection.status, limit: selection.limit ?? null,
        pressure: selected.pressure ? { max_sends: selected.pressure.maxSends, per: selected.pressure.period, since: selected.pressure.since, origin: selected.pressure.origin } : null },
      format,
      options: { preset: request.preset ?? null, lang: request.lang ?? null, columns: plan.headers, delimiter: format === 'csv' ? delimiter : null, encoding, bom: request.bom ?? false, dateFormat, withSeeds, includeUnconsented: selection.includeUnconsented },
      out: request.out,
    });
  const heldId = parallel ? openRecord() : null;
  const recorder = heldId === null ? null : new MemberRecorder(db, heldId, selected, members);
  let position = 0; // 0-based output row, seeds included
  let nextSlot = 0;
  const seedPositions: { seed: SeedRow; position: number }[] = [];
  let files: FileResult[];
  try {
    if (parallel) rows = await parallel.workers.run(sink, parallel.bounds, parallel.width, counts, members, request.selection.limit, request.onProgress, () => recorder?.flush(request.parallel?.memberBatch ?? MEMBER_BATCH));
    else {
      let last: unknown[] | null = null;
      for (const row of selectedRows(db, query, request.selection.limit, request.tuning, counts, members)) {
        while (nextSlot < slots.length && slots[nextSlot] === position) {
          const seed = seeds[nextSlot]!;
          await sink.writeRow(toValues(seedBase(seed, plan.baseKeys, query.positions, row)));
          seedPositions.push({ seed, position: position + 1 });
          nextSlot++;
          position++;
        }
        const written = sink.writeRow(toValues(row));
        if (written) await written;
        last = row;
        rows++;
        position++;
        if (request.onProgress && rows % 10_000 === 0) request.onProgress(rows);
      }
      for (; nextSlot < slots.length; nextSlot++) {
        const seed = seeds[nextSlot]!;
        await sink.writeRow(toValues(seedBase(seed, plan.baseKeys, query.positions, last)));
        seedPositions.push({ seed, position: position + 1 });
        position++;
      }
    }
    files = await sink.close();
  } catch (error) {
    sink.abort();
    throw error;
  } finally {
    await parallel?.workers.close();
  }

  // Before the export is recorded: its own members must not count towards the pressure cap it applied
  // (with workers, the cap's contacts were read before any member was recorded: plan.pressured).
  const funnel = funnelOf(db, selected, query, counts, rows, seedPositions.length);
  let recorded = 0;
  const exportId = db.transaction(() => {
    const id = heldId ?? openRecord();
    completeExportRecord(db, id, rows, seedPositions.length, files);
    const link = db.prepare('INSERT INTO export_seeds (export_id, seed_id, position) VALUES (?, ?, ?)');
    for (const s of seedPositions) link.run(id, s.seed.id, s.position);
    recorded = recorder ? recorder.finish() : recordMembers(db, id, selected, members);
    if (request.name !== undefined || request.preview) {
      const at = request.preview ? nowIso() : null;
      db.prepare('INSERT INTO campaigns (export_id, name, not_sent_at, not_sent_reason) VALUES (?, ?, ?, ?)').run(id, request.name ?? null, at, at ? 'export --preview' : null);
    }
    recordAudit(db, { action: 'export', counts: { rows, seeds: seedPositions.length, members: recorded }, details: { export_id: id, channel: selection.channel, ...(request.preview ? { preview: true } : {}) } });
    return id;
  })();
  if (heldId !== null) db.exec('COMMIT');
  const xlsxLimit = format === 'xlsx' ? (request.maxBytesPerFile ?? preset?.maxBytesPerFile) : undefined;
  const oversized = xlsxLimit === undefined ? [] : files.filter((f) => f.bytes > xlsxLimit).map((f) => f.path);
  return { exportId, rows, seeds: seedPositions.length, files, validated, runId, unencodable: sink.unencodable, workers: parallel?.workers.size ?? 0, funnel, oversized, maxBytesPerFile: xlsxLimit ?? maxBytes ?? null, members: recorded, pressure: selected.pressure, emptySegments: selected.emptySegments, preview: request.preview === true };
}
