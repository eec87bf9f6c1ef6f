/**
 * How far V8 lets the JavaScript heap grow past what survived its last full collection, for the part of
 * a command that holds a large live set while allocating many short-lived objects (dedupe --apply: the
 * keyed records of every contact stay live while each cluster's rows, scores and statements' values are
 * made and dropped).
 *
 * V8's default lets the heap grow up to about four times the live size before the next full collection.
 * Measured at a million contacts (`dedupe --apply`, bench/README.md "Dedupe"): ~270 MB live, and the
 * heap grew to ~830 MB of mostly garbage before V8 collected it, for a peak RSS of 1.26 GB. With growth
 * capped at 1.5 times, the heap stays under ~400 MB and peak RSS is ~0.8 GB, for a few more collections.
 * A cap, not a limit: the live set can still grow as the store does, the heap follows it.
 *
 * Capped from the start of the command: capped only once the records were built, the heap still grew
 * to 1.0 GB of RSS before that on a loaded machine (blocking's scratch arrays and the scoring's garbage
 * waiting for a collection). Measured CPU time is the same either way (bench/README.md).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Heap growth between full collections, in percent of the live size (V8's --heap-growing-percent). */
export const HEAP_GROWTH_PERCENT = 50;

/**
 * Caps the heap's growth for the rest of this process (a CLI process runs one command), then collects
 * once so the cap applies from now: V8 computes the next collection's threshold only when it collects.
 */
export function capHeapGrowth(percent = HEAP_GROWTH_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  // V8 gives a context the gc() function when the flag is set at its creation: a fresh one, used once.
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
