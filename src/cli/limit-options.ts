import type { Command } from 'commander';
import { LIMITS, formatLimit, resolveLimits, type InputLimits, type LimitName } from '../io/limits.js';
import { UsageError } from './context.js';

/** The input-limit flags of `import` (docs/reliability.md): one per limit, each with its variable and default. */
export function addLimitOptions(command: Command): Command {
  for (const [name, spec] of Object.entries(LIMITS) as Array<[LimitName, (typeof LIMITS)[LimitName]]>) {
    command.option(`${spec.flag} <${spec.unit === 'bytes' ? 'size' : 'n'}>`, `${spec.describe} read (default: $${spec.env} or ${formatLimit(name, spec.fallback)})`);
  }
  return command;
}

/** The limits in force for this run: flags, then environment, then defaults. */
export function limitsFrom(flags: Partial<Record<LimitName, string>>, env: NodeJS.ProcessEnv): InputLimits {
  return resolveLimits(flags, env, (message) => {
    throw new UsageError(message);
  });
}
