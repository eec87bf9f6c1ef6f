import crypto from 'node:crypto';

let lastMs = 0;
let sequence = 0;
/** The current millisecond as the uid's first two groups, e.g. '0193a1b2-c3d4'. */
let msGroups = '';
/** Random bytes as hex, consumed 16 characters (8 bytes) per uid. */
let randomHex = '';
let randomAt = 0;

const POOL_BYTES = 8 * 4096;
const VARIANT = '89ab';

/**
 * A time-ordered UUID (version 7 layout): new ids sort after old ones, so a million inserts append to the
 * uid index instead of splitting pages all over it, and the id is still unguessable for mailing tools.
 * Built from hex strings cached per millisecond and per 4096 ids: a first load makes a million of them.
 */
export function newUid(now = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) {
      lastMs += 1;
      msGroups = '';
    }
  } else {
    lastMs = now;
    sequence = 0;
    msGroups = '';
  }
  if (msGroups === '') {
    const ms = lastMs.toString(16).padStart(12, '0');
    msGroups = `${ms.slice(0, 8)}-${ms.slice(8, 12)}`;
  }
  if (randomAt + 16 > randomHex.length) {
    randomHex = crypto.randomBytes(POOL_BYTES).toString('hex');
    randomAt = 0;
  }
  const random = randomHex.slice(randomAt, randomAt + 16);
  randomAt += 16;
  // Version nibble 7 before the sequence; variant bits 10 in the top of byte 8 (one of 8, 9, a, b).
  const variant = VARIANT[parseInt(random[0]!, 16) & 3]!;
  return `${msGroups}-7${sequence.toString(16).padStart(3, '0')}-${variant}${random.slice(1, 4)}-${random.slice(4, 16)}`;
}
