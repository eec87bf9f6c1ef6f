import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import type { Wrap } from './main.js';
import { CliError, ExitCode, UsageError, type CommandContext } from './context.js';
import { backupSettings, backupTo, listBackups, recordBackup, setBackupSetting } from '../store/backup.js';
import { changeCipher, type CipherChange } from '../store/cipher.js';
import { resolveKey } from '../store/key.js';
import { restoreStore } from '../gdpr/restore.js';
import { recordAudit } from '../gdpr/audit.js';

export const BACKUP_EXAMPLES = `  # Backups and encryption (docs/store.md)
  custkit db backup /data/shop-2026-12-07.db     # a consistent copy (0600), even while an import runs
  custkit db backups                             # the backups custkit took, and where automatic ones go
  custkit db backups --keep 5                    # keep the last 5 automatic backups (default 3; 0: none)
  custkit db restore /data/shop-2026-12-07.db    # checked first; people erased since stay erased
  CUSTKIT_KEY='long passphrase' custkit db encrypt   # the store, its WAL and its backups encrypted
  CUSTKIT_KEY='long passphrase' CUSTKIT_NEW_KEY='another passphrase' custkit db rekey
  CUSTKIT_KEY='another passphrase' custkit db decrypt`;

function formatBytes(bytes: number): string {
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** The commands that replace the store file work on it whole: a missing one is said the usual way. */
function requireStore(ctx: CommandContext): void {
  if (!fs.existsSync(ctx.dbPath) || fs.statSync(ctx.dbPath).size === 0) {
    throw new CliError(`${ctx.dbPath}: no custkit store here (run "custkit import FILE" first, or pass --db)`);
  }
}

export function registerDbBackup(db: Command, wrap: Wrap): void {
  db.command('backup')
    .description('Write a consistent copy of the store to FILE (0600; encrypted with the store\'s key when the store is), even while other commands run.')
    .argument('<file>', 'the backup file to write')
    .option('--force', 'replace FILE if it exists')
    .action(wrap((ctx, file: string, flags: { force?: boolean }) => {
      const store = ctx.openDb({ mustExist: true });
      try {
        const backup = backupTo(store, file, { replace: flags.force === true });
        store.transaction(() => {
          recordBackup(store, backup, 'db backup', false);
          recordAudit(store, { action: 'db.backup', counts: { bytes: backup.bytes }, details: { encrypted: backup.encrypted } });
        })();
        if (ctx.json) ctx.printJson({ file: backup.file, bytes: backup.bytes, encrypted: backup.encrypted, ms: backup.ms });
        else ctx.info(`${backup.file}: backed up (${formatBytes(backup.bytes)}${backup.encrypted ? ', encrypted' : ''}) in ${(backup.ms / 1000).toFixed(1)}s`);
        return ExitCode.Ok;
      } finally {
        store.close();
      }
    }));

  db.command('backups')
    .description('List the backups custkit took that still exist, and set where automatic backups go and how many are kept.')
    .option('--keep <n>', 'keep the last N automatic backups (0: take none)')
    .option('--dir <folder>', 'where automatic backups go (default: <store>.backups beside the store)')
    .action(wrap((ctx, flags: { keep?: string; dir?: string }) => {
      const keep = flags.keep === undefined ? undefined : Number(flags.keep);
      if (keep !== undefined && (!Number.isInteger(keep) || keep < 0)) throw new UsageError(`--keep: "${flags.keep}" is not a whole number of backups (0 or more)`);
      const store = ctx.openDb({ mustExist: true });
      try {
        if (keep !== undefined || flags.dir !== undefined) {
          store.transaction(() => {
            if (keep !== undefined) setBackupSetting(store, 'keep', String(keep));
            if (flags.dir !== undefined) setBackupSetting(store, 'dir', path.resolve(flags.dir));
            recordAudit(store, { action: 'db.backups', details: { keep: keep ?? null, dir: flags.dir === undefined ? null : 'changed' } });
          })();
        }
        const settings = backupSettings(store);
        const backups = listBackups(store);
        if (ctx.json) {
          ctx.printJson({ keep: settings.keep, dir: settings.dir, backups });
          return ExitCode.Ok;
        }
        ctx.info(`automatic backups: ${settings.keep === 0 ? 'off' : `the last ${settings.keep}`}, in ${settings.dir}`);
        if (backups.length === 0) {
          ctx.out('no backups yet');
          return ExitCode.Ok;
        }
        const table = new Table({ head: ['taken (UTC)', 'before', 'size', 'encrypted', 'file'], style: { head: [], border: [] }, colAligns: ['left', 'left', 'right', 'left', 'left'] });
        for (const b of backups) table.push([b.taken_at.slice(0, 19).replace('T', ' '), b.automatic ? b.reason : '(manual)', formatBytes(b.bytes), b.encrypted ? 'yes' : 'no', b.file]);
        ctx.out(table.toString());
        return ExitCode.Ok;
      } finally {
        store.close();
      }
    }));

  db.command('restore')
    .description('Put a backup in the store\'s place: the backup is checked first (its integrity, and that it is a store of this tool), everyone erased since it was taken is erased from it again, and the store is replaced only once all that succeeded.')
    .argument('<file>', 'the backup to restore')
    .action(wrap((ctx, file: string) => {
      const result = restoreStore(ctx.dbPath, file, ctx.storeKey, ctx.waitOptions());
      if (ctx.json) {
        ctx.printJson({ file: result.file, from: result.from, bytes: result.bytes, replaced: result.replaced, erasures_carried: result.erasuresCarried, re_erased: result.reErased });
      } else {
        ctx.info(`${result.file}: restored from ${result.from} (${formatBytes(result.bytes)}) in ${(result.ms / 1000).toFixed(1)}s`);
        if (result.erasuresCarried > 0) ctx.info(`${result.erasuresCarried} erasure record${result.erasuresCarried > 1 ? 's' : ''} (erased hashes and uids) carried over; ${result.reErased} contact${result.reErased === 1 ? '' : 's'} of the backup erased again`);
      }
      return ExitCode.Ok;
    }));

  const convert = (change: CipherChange, description: string): Command => db.command(change).description(description);
  convert('encrypt', 'Encrypt a plain store in place with the key of CUSTKIT_KEY or --key-file (ChaCha20-Poly1305).')
    .action(wrap((ctx) => runCipher(ctx, 'encrypt', undefined)));
  convert('decrypt', 'Turn an encrypted store back into a plain one (its key from CUSTKIT_KEY or --key-file).')
    .action(wrap((ctx) => runCipher(ctx, 'decrypt', undefined)));
  convert('rekey', 'Change the key of an encrypted store: the current key from CUSTKIT_KEY or --key-file, the new one from --new-key-file or CUSTKIT_NEW_KEY.')
    .option('--new-key-file <file>', 'the new passphrase, in a file only you can read (default: $CUSTKIT_NEW_KEY)')
    .action(wrap((ctx, flags: { newKeyFile?: string }) => runCipher(ctx, 'rekey', flags.newKeyFile)));
}

function runCipher(ctx: CommandContext, change: CipherChange, newKeyFile: string | undefined): number {
  requireStore(ctx);
  const key = ctx.storeKey;
  if (key === null) throw new UsageError(`db ${change}: give the store's ${change === 'encrypt' ? 'new ' : ''}key with CUSTKIT_KEY or --key-file FILE`);
  const next = change === 'rekey' ? resolveKey(newKeyFile, ctx.streams.env, 'CUSTKIT_NEW_KEY', '--new-key-file') : null;
  if (change === 'rekey' && next === null) throw new UsageError('db rekey: give the new key with --new-key-file FILE or CUSTKIT_NEW_KEY');
  const keys = change === 'encrypt' ? { current: null, next: key } : { current: key, next };
  // The audit line goes into the converted copy before it replaces the store (cipher.ts says why).
  const result = changeCipher(ctx.dbPath, change, keys, ctx.waitOptions().waitMs,
    (copy, bytes) => recordAudit(copy, { action: `db.${change}`, counts: { bytes } }));
  const done = { encrypt: 'encrypted', decrypt: 'decrypted', rekey: 'given its new key' }[change];
  if (ctx.json) ctx.printJson({ file: ctx.dbPath, change, bytes: result.bytes, ms: result.ms });
  else ctx.info(`${ctx.dbPath}: ${done} (${formatBytes(result.bytes)}) in ${(result.ms / 1000).toFixed(1)}s${change === 'decrypt' ? '' : '; backups taken before keep their old key'}`);
  return ExitCode.Ok;
}
