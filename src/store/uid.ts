import crypto from 'node:crypto';

let lastMs = 0;
let sequence = 0;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomBytes(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = crypto.randomBytes(16 * 4096);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

/**
 * A time-ordered UUID (version 7 layout): new ids sort after old ones, so a million inserts append to the
 * uid index instead of splitting pages all over it, and the id is still unguessable for mailing tools.
 */
export function newUid(now = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1;
  } else {
    lastMs = now;
    sequence = 0;
  }
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  randomBytes(8).copy(bytes, 8);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
