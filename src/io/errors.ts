/** A file custkit cannot read as asked (unreadable, not a table, over a limit): exit 1, nothing written. */
export class InputError extends Error {}
