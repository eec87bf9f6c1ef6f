import { Command, CommanderError } from 'commander';
import { CliError, CommandContext, ExitCode, type GlobalOptions, type Streams } from './context.js';
import { StoreError } from '../store/db.js';
import { explainFailure } from '../store/failures.js';
import { commands } from './commands.js';

export type CommandAction = (ctx: CommandContext, ...args: never[]) => Promise<number | void> | number | void;

/** Builds the program; `run` parses argv against it. Exposed for tests that check the help text. */
export function buildProgram(streams: Streams, setExit: (code: number) => void): Command {
  const program = new Command('custkit')
    .description('Customer-file toolkit: import, clean, dedupe, score and export customer data in one SQLite file.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--db <file>', 'store file (default: $CUSTKIT_DB or ./custkit.db)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--no-color', 'never colour the output')
    .option('--wait <duration>', 'how long a writer waits for another to finish with the store, e.g. 30s, 10m, 0 (default: $CUSTKIT_WAIT or 10m)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
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

  for (const register of commands) register(program, wrap);
  program.commands.forEach((c) => c.exitOverride().configureOutput(program.configureOutput()));
  return program;
}

/** "custkit dedupe" for the subcommand run, as the holder of the store's write lock is named to others. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export type Wrap = <A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<number | void> | number | void,
) => (...args: unknown[]) => Promise<void>;

export async function run(argv: string[], streams: Streams = process as unknown as Streams): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(streams, (code) => {
    exitCode = code;
  });
  try {
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
