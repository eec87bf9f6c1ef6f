/**
 * Moving an imported file out of the inbox. Never overwrites: yesterday's clients.csv in the archive stays,
 * today's becomes clients.<run>.csv. Across file systems (an inbox on a mounted share) a rename is not
 * possible, so the file is copied, then removed.
 */
import fs from 'node:fs';
import path from 'node:path';

export function archiveFile(file: string, archiveDir: string, run: string): string {
  fs.mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
  const ext = path.extname(file);
  const stem = path.basename(file, ext);
  for (let n = 0; ; n += 1) {
    const name = n === 0 ? `${stem}${ext}` : `${stem}.${run}${n === 1 ? '' : `-${n}`}${ext}`;
    const target = path.join(archiveDir, name);
    if (fs.existsSync(target)) continue;
    try {
      // link + unlink instead of rename: a rename would silently replace a file of that name made meanwhile.
      fs.linkSync(file, target);
      fs.unlinkSync(file);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
      fs.copyFileSync(file, target, fs.constants.COPYFILE_EXCL);
      fs.unlinkSync(file);
      return target;
    }
  }
}
