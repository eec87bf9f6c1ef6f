import { Chalk, type ChalkInstance } from 'chalk';
import { openStore, resolveDbPath, type Db, type OpenOptions } from '../store/db.js';
import { resolveKey } from '../store/key.js';
import { DEFAULT_WAIT_MS, describeHolder, formatDuration, parseDuration, type WaitOptions } from '../store/busy.js';

/** Exit codes, the same for every command (DESIGN.md). */
export const ExitCode = {
  Ok: 0,
  /** Failed at run time (file unreadable, store locked, wrong key...): nothing changed. */
  Failed: 1,
  /** Usage error (unknown flag, bad value): nothing changed. */
  Usage: 2,
  /** Finished, but some rows were rejected or flagged: cron can alert on it. */
  Partial: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can act on: its message is printed as is, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Failed,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

export interface GlobalOptions {
  db?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  /** --key-file: the encrypted store's passphrase (else CUSTKIT_KEY). */
  keyFile?: string;
  /** --wait: how long a writer waits for the store's write lock. */
  wait?: string;
  /** The command being run ("custkit import"), set by main.ts. */
  commandPath?: string;
}

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * What a command needs from the outside world: its global flags, where to print, and the store.
 * Data goes to stdout, messages to stderr; colour and progress only on a terminal.
 */
export class CommandContext {
  readonly color: ChalkInstance;
  readonly interactive: boolean;

  constructor(
    readonly options: GlobalOptions,
    readonly streams: Streams,
  ) {
    // chalk 5 ignores NO_COLOR when stdout is a terminal, so the rule is applied here.
    const colorWanted =
      options.color !== false &&
      !options.json &&
      streams.stderr.isTTY === true &&
      streams.env.NO_COLOR === undefined &&
      streams.env.TERM !== 'dumb';
    this.color = new Chalk({ level: colorWanted ? 1 : 0 });
    this.interactive = streams.stderr.isTTY === true && !options.quiet && !options.json;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  get dbPath(): string {
    return resolveDbPath(this.options.db, this.streams.env);
  }

  /**
   * The store, migrated. Only a command that fills a store from nothing (import) passes `create`: any
   * other command on a missing store is a mistake (a wrong folder, a typo in --db), and creating an empty
   * store there would hide it behind an empty result and exit 0.
   */
  openDb(options: OpenOptions & { create?: boolean } = {}): Db {
    const { create, ...rest } = options;
    return openStore(this.dbPath, { wait: this.waitOptions(), key: this.storeKey, ...rest, mustExist: create !== true });
  }

  private key: string | null | undefined;

  /** The store's passphrase: --key-file, else CUSTKIT_KEY, else null (a plain store). Read once. */
  get storeKey(): string | null {
    if (this.key === undefined) this.key = resolveKey(this.options.keyFile, this.streams.env);
    return this.key;
  }

  /** --wait, else CUSTKIT_WAIT, else 10 minutes; on a terminal, a line saying what the command waits for. */
  waitOptions(): WaitOptions {
    const [text, from] = this.options.wait !== undefined ? [this.options.wait, '--wait'] : [this.streams.env.CUSTKIT_WAIT, 'CUSTKIT_WAIT'];
    const waitMs = text === undefined ? DEFAULT_WAIT_MS : parseDuration(text);
    if (waitMs === null) throw new UsageError(`${from}: "${text}" is not a duration (e.g. 30s, 10m, 1h, 0)`);
    const stderr = this.streams.stderr;
    const show = stderr.isTTY === true && !this.options.quiet;
    return {
      waitMs,
      command: this.options.commandPath ?? 'custkit',
      onWaiting: show
        ? (holder, waited, limit) => stderr.write(`\r\x1b[Kwaiting for ${holder ? describeHolder(holder) : 'another process'} to finish with the store: ${formatDuration(waited)} of up to ${formatDuration(limit)} (--wait)`)
        : undefined,
      onWaited: show ? () => stderr.write('\r\x1b[K') : undefined,
    };
  }

  /** --quiet: nothing on either stream but the data asked for (and errors). */
  get quiet(): boolean {
    return this.options.quiet === true;
  }

  /** A line of the data the command was asked for, on stdout: a list, a table, a file. Never silenced. */
  out(text: string): void {
    this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A line of the report of what a command did or would do (clean's changes, dedupe's counts, a merge
   * undone), on stdout so it can be saved, but silenced by --quiet: in cron the exit code says it.
   */
  report(text: string): void {
    if (!this.quiet) this.out(text);
  }

  printJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A message for the person at the terminal (stderr); silenced by --quiet. */
  info(text: string): void {
    if (!this.options.quiet) this.streams.stderr.write(`${text}\n`);
  }

  /** A warning about a result that still succeeded (the exit code carries it); silenced by --quiet. */
  warn(text: string): void {
    if (this.quiet) return;
    this.streams.stderr.write(`${this.color.yellow('warning:')} ${text}\n`);
  }

  error(text: string): void {
    this.streams.stderr.write(`${this.color.red('error:')} ${text}\n`);
  }
}

/** A one-line rows/s counter redrawn on stderr, only when a person is watching. */
export class Progress {
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly ctx: CommandContext,
    private readonly label: string,
  ) {}

  update(rows: number): void {
    if (!this.ctx.interactive) return;
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    this.ctx.streams.stderr.write(`\r${this.label}: ${rows.toLocaleString('en')} rows, ${rate.toLocaleString('en')} rows/s   `);
  }

  done(): void {
    if (this.ctx.interactive && this.lastDraw > 0) this.ctx.streams.stderr.write('\r\x1b[K');
  }
}
