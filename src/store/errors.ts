/** A store that cannot be opened, read or written as asked: the message is for the user, exit 1. */
export class StoreError extends Error {}
