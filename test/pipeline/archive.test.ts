import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveFile } from '../../src/pipeline/archive.js';
import { tempDir } from '../helpers/cli.js';

describe('archiving an imported file', () => {
  it('moves it into the archive (created 0700), and never overwrites a file of the same name', () => {
    const dir = tempDir();
    const archive = path.join(dir, 'done');
    const inbox = (text: string): string => {
      const file = path.join(dir, 'clients.csv');
      fs.writeFileSync(file, text);
      return file;
    };
    expect(archiveFile(inbox('monday'), archive, '20261207T023000Z')).toBe(path.join(archive, 'clients.csv'));
    expect(fs.statSync(archive).mode & 0o777).toBe(0o700);
    expect(archiveFile(inbox('tuesday'), archive, '20261208T023000Z')).toBe(path.join(archive, 'clients.20261208T023000Z.csv'));
    expect(archiveFile(inbox('tuesday again'), archive, '20261208T023000Z')).toBe(path.join(archive, 'clients.20261208T023000Z-2.csv'));
    expect(fs.existsSync(path.join(dir, 'clients.csv'))).toBe(false);
    const read = (name: string): string => fs.readFileSync(path.join(archive, name), 'utf8');
    expect([read('clients.csv'), read('clients.20261208T023000Z.csv'), read('clients.20261208T023000Z-2.csv')]).toEqual(['monday', 'tuesday', 'tuesday again']);
  });
});
