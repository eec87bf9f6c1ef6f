import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { inspectFile, sniffDelimiter, sniffEncoding } from '../../src/io/sniff.js';
import { readCsvRows } from '../../src/io/readers.js';
import { fixture, tempDir } from '../helpers/cli.js';

async function rowsOf(file: string, encoding: 'utf8' | 'cp1252' | 'utf16le', delimiter: ';' | ','): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const batch of readCsvRows(file, encoding, delimiter)) rows.push(...(batch as string[][]));
  return rows;
}

describe('sniffing', () => {
  it('recognises Windows-1252 and decodes €, œ and ’ correctly', async () => {
    const facts = await inspectFile(fixture('clients-fr-cp1252.csv'));
    expect(sniffEncoding(facts)).toBe('cp1252');
    const rows = await rowsOf(fixture('clients-fr-cp1252.csv'), 'cp1252', ';');
    expect(rows[0]![1]).toBe('Civilité');
    expect(rows.flat().join(' ')).toContain('Carte cadeau 50 €');
    expect(rows.flat().join(' ')).toContain('Œuvres d’art');
  });

  it('recognises UTF-8 with a BOM and strips it', async () => {
    const facts = await inspectFile(fixture('contacts-en-bom.csv'));
    expect(facts.bom).toBe('utf8');
    expect(sniffEncoding(facts)).toBe('utf8');
    const rows = await rowsOf(fixture('contacts-en-bom.csv'), 'utf8', ',');
    expect(rows[0]![0]).toBe('Customer ID');
    expect(rows[1]![5]).toBe('221B Baker Street\r\nFlat 2');
    expect(rows[2]![11]).toBe('Smith "The Baker" Ltd');
  });

  it('checks the whole file, not a sample, before calling it UTF-8', async () => {
    const file = path.join(tempDir(), 'late-accent.csv');
    const body = 'Nom;Ville\n' + 'Dupont;Paris\n'.repeat(50_000);
    fs.writeFileSync(file, Buffer.concat([Buffer.from(body), iconv.encode('Bérard;Sète\n', 'win1252')]));
    expect(sniffEncoding(await inspectFile(file))).toBe('cp1252');
  });

  it('recognises UTF-16 by its BOM', async () => {
    const file = path.join(tempDir(), 'utf16.csv');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Nom,Prénom\r\nÉluard,Paul\r\n', 'utf16le')]));
    const facts = await inspectFile(file);
    expect(sniffEncoding(facts)).toBe('utf16le');
    expect((await rowsOf(file, 'utf16le', ',')).slice(0, 2)).toEqual([['Nom', 'Prénom'], ['Éluard', 'Paul']]);
  });

  it.each([
    ['a;b;c\n1;2;3\n4;5;6\n', ';'],
    ['a,b,c\n1,2,3\n', ','],
    ['a\tb\tc\n1\t2\t3\n', '\t'],
    ['a|b|c\n1|2|3\n', '|'],
    ['"Nom, complet";Ville\n"Dupont, Jean";Paris\n', ';'],
  ])('finds the delimiter of %j', (text, expected) => {
    expect(sniffDelimiter(text)).toBe(expected);
  });
});
