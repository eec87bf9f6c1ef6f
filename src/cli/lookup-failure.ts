import { CliError, ExitCode, UsageError } from './context.js';
import type { LookupError } from '../gdpr/lookup.js';

/** A person not found is a run-time failure (exit 1); a person not named usably is a usage error (exit 2). */
export function lookupFailure(error: LookupError): CliError {
  return error.notFound ? new CliError(error.message, ExitCode.Failed) : new UsageError(error.message);
}
