import { Command, CommanderError, Help } from 'commander';
import { CliError, CommandContext, ExitCode, type GlobalOptions, type Streams } from './context.js';
import { StoreError } from '../store/db.js';
import { explainFailure } from '../store/failures.js';
import { commands, type CommandEntry } from './commands.js';

export type CommandAction = (ctx: CommandContext, ...args: never[]) => Promise<number | void> | number | void;

export type Wrap = <A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<number | void> | number | void,
) => (...args: unknown[]) => Promise<void>;

const EXAMPLES = `
Examples:
  # The river on your own files: import, check, clean, dedupe, score, export
  $ custkit import clients.csv
  $ custkit validate
  $ custkit clean --fix
  $ custkit dedupe --apply
  $ custkit score
  $ custkit export --preset brevo --out brevo.csv

  # Another store than ./custkit.db, quiet for cron, a JSON summary for scripts
  $ custkit --db /data/shop.db db info
  $ custkit --db /data/shop.db -q import orders.csv
  $ custkit --db /data/shop.db --json validate > health.json

Only "import" creates a store; every other command on a missing one says so and exits 1.
Exit codes: 0 success; 1 failed at run time, nothing changed; 2 usage error, nothing changed;
3 finished, but some rows were rejected or flagged. Data goes to stdout, messages to stderr.
Each command has its own examples: custkit COMMAND --help`;

/** Global options that take a value: skipped with it when looking for the command in argv. */
export const VALUE_OPTIONS = new Set(['--db', '--wait', '--key-file']);

/**
 * The command argv asks for (`custkit [globals] NAME …`, or `custkit help NAME`), if it is one of ours.
 * Only that command's module is loaded; anything else (no command, --help, a typo) needs only the table.
 */
export function requestedCommand(argv: string[]): CommandEntry | undefined {
  const words: string[] = [];
  for (let i = 2; i < argv.length && words.length < 2; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  const name = words[0] === 'help' ? words[1] : words[0];
  return commands.find((c) => c.name === name);
}

/**
 * Builds the program; `run` parses argv against it. Every command of the table is declared (so the
 * top-level help lists them and commander knows a typo from a command); only the one argv asks for, or
 * all of them when `only` is 'all' (tests that read every help text), is loaded and registered in full.
 */
export async function buildProgram(
  streams: Streams,
  setExit: (code: number) => void,
  only: CommandEntry | 'all' | 'none',
): Promise<Command> {
  const terms = new Map(commands.map((c) => [c.name, c.term]));
  const program: Command = new Command('custkit')
    .description('Customer-file toolkit: import, clean, dedupe, score and export customer data in one SQLite file.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--db <file>', 'store file (default: $CUSTKIT_DB or ./custkit.db)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'print nothing but the data asked for and errors')
    .option('--no-color', 'never colour the output')
    .option('--key-file <file>', "the encrypted store's passphrase, read from a file only you can read (default: $CUSTKIT_KEY)")
    .option('--wait <duration>', 'how long a writer waits for another to finish with the store, e.g. 30s, 10m, 0 (default: $CUSTKIT_WAIT or 10m)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
    .configureHelp({
      // A declared-only command has no options or arguments yet: list it as the table says it reads.
      subcommandTerm: (cmd): string => (cmd.parent === program ? terms.get(cmd.name()) : undefined) ?? new Help().subcommandTerm(cmd),
    })
    .addHelpText('after', EXAMPLES)
    .exitOverride();

  /** Wraps a command's action: builds its context, and turns its result into the exit code. */
  const wrap =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number | void> | number | void) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const ctx = new CommandContext({ ...(command.optsWithGlobals() as GlobalOptions), commandPath: commandPath(command) }, streams);
      let code: number | void;
      try {
        code = await fn(ctx, ...(args.slice(0, -1) as A));
      } catch (error) {
        // Disk full, read-only, permission, vanished path, corruption: said in the user's terms.
        const failure = error instanceof CliError || error instanceof StoreError ? null : explainFailure(error, ctx.dbPath);
        if (failure) throw new CliError(failure.message, ExitCode.Failed);
        throw error;
      }
      setExit(code ?? ExitCode.Ok);
    };

  for (const entry of commands) {
    if (only === 'all' || only === entry) (await entry.load())(program, wrap);
    else program.command(entry.name).description(entry.summary);
  }
  program.commands.forEach((c) => c.exitOverride().configureOutput(program.configureOutput()));
  return program;
}

/** "custkit dedupe" for the subcommand run, as the holder of the store's write lock is named to others. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export async function run(argv: string[], streams: Streams = process as unknown as Streams): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  try {
    const program = await buildProgram(
      streams,
      (code) => {
        exitCode = code;
      },
      requestedCommand(argv) ?? 'none',
    );
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error, streams);
  }
}

function reportError(error: unknown, streams: Streams): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; for us they are a success.
    if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return ExitCode.Ok;
    if (error.code === 'commander.executeSubCommandAsync') return ExitCode.Ok;
    return ExitCode.Usage; // commander already printed its message
  }
  const ctx = new CommandContext({}, streams);
  if (error instanceof CliError) {
    ctx.error(error.message);
    return error.exitCode;
  }
  if (error instanceof StoreError) {
    ctx.error(error.message);
    return ExitCode.Failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/database is locked|SQLITE_BUSY/i.test(message)) {
    ctx.error(`the store is locked by another custkit process; nothing was changed (${message})`);
    return ExitCode.Failed;
  }
  ctx.error(`unexpected failure: ${message}`);
  if (process.env.CUSTKIT_DEBUG && error instanceof Error) streams.stderr.write(`${error.stack}\n`);
  return ExitCode.Failed;
}
