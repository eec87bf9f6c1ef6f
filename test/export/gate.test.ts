import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/export/gate.js';
import { sha256Hex } from '../../src/export/keys.js';

describe('DigestSet', () => {
  it('finds exactly the digests it holds, prefixes shared or not', () => {
    const held = Array.from({ length: 500 }, (_, i) => sha256Hex(`held${i}`));
    // Same first 32 bits as a held digest, different after: found only when held itself.
    const twins = held.slice(0, 50).map((d) => `${d.slice(0, 8)}${'0'.repeat(56)}`);
    const set = new DigestSet([...held, twins[0]!]);
    for (const d of held) expect(set.has(d)).toBe(true);
    expect(set.has(twins[0]!)).toBe(true);
    for (const d of twins.slice(1)) expect(set.has(d)).toBe(false);
    for (let i = 0; i < 500; i++) expect(set.has(sha256Hex(`other${i}`))).toBe(false);
    expect(new DigestSet([]).has(held[0]!)).toBe(false);
  });
});
