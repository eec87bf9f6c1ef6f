/**
 * How far V8 lets the JavaScript heap grow past what survived its last full collection, for commands
 * that hold a large live set while allocating many short-lived objects (dedupe: the keyed records of
 * every contact, then per cluster its rows, scores and statements' values).
 *
 * V8's default lets the heap grow up to about four times the live size before the next full collection.
 * Measured at a million contacts (`dedupe --apply`, bench/README.md "Dedupe"): ~270 MB live, and the
 * heap grew to ~830 MB of mostly garbage before V8 collected it, for a peak RSS of 1.26 GB. With growth
 * capped at 1.5 times, the heap stays under ~370 MB, peak RSS is ~0.74 GB, for about one more CPU-second
 * of collections. A cap, not a limit: the live set can still grow as the store does, the heap follows it.
 */
import v8 from 'node:v8';

/** Heap growth between full collections, in percent of the live size (V8's --heap-growing-percent). */
export const HEAP_GROWTH_PERCENT = 50;

/**
 * Caps the heap's growth for the rest of this process (a CLI process runs one command). Takes effect
 * from the next full collection, so call it before the command allocates its large structures.
 */
export function capHeapGrowth(percent = HEAP_GROWTH_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
