/**
 * An export worker thread (parallel.ts). On its own read-only connection, inside one read transaction
 * begun while the main thread holds the store's write lock (so every worker reads the same snapshot):
 *
 * - prepares: scans its part of the contacts (is any to be validated? which are merged?), and reads
 *   its part of the channel rules' bulk structures (bulk.ts), which the main thread puts together and
 *   gives every worker;
 * - reads the ranges it is given, applies the channel rules, formats the rows exactly as the main
 *   thread would (lines.ts, csv-lines.ts), and sends back their encoded bytes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/db.js';
import { consentMask, contactsScanSql, maxContactId, readOwnConsents, readSharedAddresses, scanContacts, type BulkRules } from './bulk.js';
import { ChannelGate, KEPT, noReasons } from './gate.js';
import { CsvLines } from './csv-lines.js';
import { EncodedText, RowText, rowValues } from './lines.js';
import { registerFunctions, ROW_ID } from './select.js';
import { HASH_BYTES, memberCell, type Cell } from './members.js';
import { type FromWorker, type Prepared, type ToWorker, type WorkerSetup } from './parallel.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function fail(error: unknown): void {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

try {
  const db = openStore(setup.store.file, { readonly: true, key: setup.store.key });
  registerFunctions(db);
  db.pragma(`mmap_size = ${setup.mmapBytes}`);
  const statement = db.prepare(setup.sql).raw(true);
  const scan = db.prepare(contactsScanSql(setup.staleSql)).raw(true);
  const values = rowValues(setup.outputs, setup.positions, setup.dateFormat);
  const text = new RowText(setup.format, setup.headers, setup.kinds, setup.delimiter);
  let gate: ChannelGate | null = null;
  /** The consent mask, when the statement takes it (its first parameter). */
  let mask: Buffer[] = [];

  /** This worker's part of the preparation, in the read transaction. */
  const prepare = (): Prepared => {
    const maxId = maxContactId(db);
    const { tasks } = setup;
    const consent = setup.gate.consentSql !== null;
    const part = tasks.scan;
    const scanned = scanContacts(db, scan, setup.staleKey, maxId, setup.scanKeys, (chunk) => part.slots.includes(chunk % part.of), consent ? setup.gate.channel : null);
    const prepared: Prepared = { type: 'prepared', stale: scanned.stale, failed: scanned.dead === null, scan: scanned };
    if (prepared.stale > 0) return prepared; // the main thread validates, then exports on one thread
    if (tasks.addresses) {
      const shared = readSharedAddresses(db, setup.gate.lookup, maxId, true);
      if (!shared) prepared.failed = true;
      else prepared.shared = shared;
    }
    if (tasks.consents && consent) {
      const states = readOwnConsents(db, setup.gate.channel, maxId, true);
      if (!states) prepared.failed = true;
      else prepared.states = states;
    }
    return prepared;
  };

  // With CSV lines from SQLite: the values of one row, read again (a range one key wide).
  const lines = setup.valuesSql ? new CsvLines(setup.kinds, setup.delimiter) : null;
  const again = setup.valuesSql ? db.prepare(setup.valuesSql).raw(true) : null;
  const drive = setup.driveColumn;
  const cellAt = setup.memberColumn;
  const rowText = (row: unknown[]): string => {
    if (!lines) return text.row(values(row), false);
    // A kept row always has its line (the consent mask only leaves out rows the rules remove); read
    // its values again all the same if it has none.
    const raw = row[row.length - 1];
    const line = typeof raw === 'string' ? lines.text(raw) : null;
    if (line !== null) return line;
    const key = row[drive] as number;
    const base = again!.get(...setup.params, key, key + 1) as unknown[] | undefined;
    if (!base) throw new Error(`export worker: the row at ${key} is not there again in the same snapshot`);
    return text.row(values(base), false);
  };

  const out = new EncodedText(setup.encoding);
  const readRange = (index: number, from: number, to: number): void => {
    const ends: number[] = [];
    const ids: number[] = [];
    const hashes: string[] = [];
    const codes: number[] = [];
    const cells: Cell[] = [];
    const cellCodes = new Map<string, number>();
    const counts = noReasons();
    const reasons: number[] | null = setup.limited ? [] : null;
    // All the range's rows at once: iterating costs a call into SQLite per row (~8% of reading them).
    for (const row of statement.all(...mask, ...setup.params, from, to) as unknown[][]) {
      const reason = gate!.decide(row);
      counts[reason]++;
      reasons?.push(reason);
      if (reason !== KEPT) continue;
      ids.push(row[ROW_ID] as number);
      hashes.push(gate!.keyHash(row));
      if (cellAt !== null) {
        const key = row[cellAt] as string;
        let code = cellCodes.get(key);
        if (code === undefined) {
          code = cells.length;
          cells.push(memberCell(key));
          cellCodes.set(key, code);
        }
        codes.push(code);
      }
      // Every row written as one that follows another (a JSON row with its comma): the main thread
      // drops the comma of a file's first row.
      out.append(rowText(row));
      ends.push(out.pending());
    }
    // Copied into memory of their own to be handed over (the encoder's is used for the next range).
    const encoded = out.take(true);
    const buffer = new ArrayBuffer(encoded.bytes.length);
    new Uint8Array(buffer).set(encoded.bytes);
    const rowEnds = Uint32Array.from(ends);
    const reasonBytes = reasons ? Uint8Array.from(reasons) : undefined;
    const members = Uint32Array.from(ids);
    // Fixed width (the digest's bytes), so that the main thread can hand them to SQLite as one blob.
    const hashBuffer = new ArrayBuffer(hashes.length * HASH_BYTES);
    Buffer.from(hashBuffer).write(hashes.join(''), 'hex');
    // Without a score run, every member has no segment nor cell: one pair, code 0.
    if (cellAt === null && ids.length > 0) cells.push([null, null]);
    const memberCodes = cellAt === null ? new Uint32Array(ids.length) : Uint32Array.from(codes);
    const transfer = [buffer, rowEnds.buffer, members.buffer, hashBuffer, memberCodes.buffer];
    if (reasonBytes) transfer.push(reasonBytes.buffer);
    send({ type: 'rows', index, rows: ends.length, counts, reasons: reasonBytes, unencodable: encoded.unencodable, buffer, ends: rowEnds, ids: members, hashes: hashBuffer, codes: memberCodes, cells }, transfer);
  };

  port.on('message', (message: ToWorker) => {
    try {
      if (message.type === 'begin') {
        db.exec('BEGIN');
        db.prepare('SELECT count(*) FROM sqlite_master').get(); // the read transaction starts at the first read
        send({ type: 'begun' });
        send(prepare());
      } else if (message.type === 'bulk') {
        const bulk: BulkRules | 'exact' = message.bulk ?? 'exact';
        gate = new ChannelGate(db, setup.gate, setup.tuning, bulk);
        const bytes = consentMask(bulk);
        mask = Array.from({ length: setup.consentMasks }, () => bytes);
      } else if (message.type === 'range') {
        readRange(message.index, message.from, message.to);
      } else {
        if (db.inTransaction) db.exec('COMMIT');
        db.close();
        port.close();
      }
    } catch (error) {
      fail(error);
    }
  });
  send({ type: 'ready' });
} catch (error) {
  fail(error);
}

