/**
 * One temporary folder for the whole test run, removed when it ends: the suite creates thousands of
 * stores and output files, and /tmp is not cleaned for us. Test helpers create their folders inside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'custkit-tests-'));
  process.env.CUSTKIT_TEST_TMP = root;
  return () => fs.rmSync(root, { recursive: true, force: true });
}
