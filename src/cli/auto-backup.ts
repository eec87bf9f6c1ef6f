import { CliError, ExitCode, type CommandContext } from './context.js';
import { backupBeforeChange } from '../store/backup.js';
import { explainFailure } from '../store/failures.js';
import type { Db } from '../store/db.js';

/**
 * The backup a destructive command takes before it changes anything (dedupe --apply, clean --fix, gdpr
 * purge). A backup that cannot be written stops the command: nothing was changed yet, and running it
 * without the safety net the user counts on is their call (--no-backup), not ours.
 */
export function backupFirst(ctx: CommandContext, db: Db, reason: string, wanted: boolean | undefined): void {
  if (wanted === false) return;
  let backup;
  try {
    backup = backupBeforeChange(db, reason);
  } catch (error) {
    const why = explainFailure(error, db.name)?.message ?? (error as Error).message;
    throw new CliError(`the automatic backup before ${reason} failed (${why}); nothing was changed. Free some space or set another folder with "custkit db backups --dir FOLDER", or run with --no-backup`, ExitCode.Failed);
  }
  if (!backup) return;
  ctx.info(`backup before ${reason}: ${backup.file} (${(backup.ms / 1000).toFixed(1)}s); to undo the whole command: custkit db restore ${backup.file}`);
  if (backup.pruned.length) ctx.info(`${backup.pruned.length} older automatic backup${backup.pruned.length > 1 ? 's' : ''} deleted (custkit db backups --keep N sets how many are kept)`);
}
