/**
 * Input quoted in messages (header names, candidate columns, cell values, sheet names), bounded.
 *
 * A message that quotes what a file holds must stay readable whatever the file holds: a header of one
 * 50 KB cell, 16,384 columns or a 1 MiB cell would otherwise be printed whole, to a terminal or a cron
 * mail. Each quoted text is cut to a readable length (with "…" and its full length), control characters
 * are shown escaped (a header must not move the cursor or colour the terminal), and a list stops after a
 * few items or characters with how many more there are ("… and 16,300 more columns").
 */

/** Longest text quoted whole (characters); a longer one is cut, with its length. */
export const QUOTE_MAX_CHARS = 80;
/** Most items of a list quoted, and most characters of the list as printed. */
export const LIST_MAX_ITEMS = 10;
export const LIST_MAX_CHARS = 400;

const count = (n: number): string => n.toLocaleString('en-US');

/** Control characters (C0, DEL, C1) and the line and paragraph separators, as \n, \t or \u001b. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** How many characters (code points) `text` holds. */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * The text without quotes, escaped and cut: `HHHH…HHH… (50,000 characters)` past `max` characters
 * (an escape such as \u001b counts as its six). Cut between characters, never inside a surrogate pair.
 */
export function bounded(text: string, max: number = QUOTE_MAX_CHARS): string {
  let shown = '';
  let width = 0;
  let consumed = 0;
  // Only the start is ever shown: no need to walk 1 MiB of a cell to cut it.
  for (const char of text.slice(0, max * 2 + 2)) {
    const escaped = visible(char);
    const w = escaped === char ? 1 : escaped.length;
    if (width + w > max) break;
    shown += escaped;
    width += w;
    consumed += char.length;
  }
  return consumed === text.length ? shown : `${shown}… (${count(length(text))} characters)`;
}

/** `"text"`, cut and escaped as `bounded` does (the count follows the closing quote). */
export function quoted(text: string, max: number = QUOTE_MAX_CHARS): string {
  const shown = bounded(text, max);
  const cut = shown.match(/^([\s\S]*…) (\([\d,]+ characters\))$/);
  return cut ? `"${cut[1]}" ${cut[2]}` : `"${shown}"`;
}

/**
 * Items quoted and joined with ", ", up to `maxItems` items or `maxChars` characters, then
 * "… and 16,300 more columns" (`noun` is the plural). The first item is always shown.
 */
export function quotedList(items: readonly string[], noun: string, options: { maxItems?: number; maxChars?: number; quote?: (item: string) => string } = {}): string {
  const maxItems = options.maxItems ?? LIST_MAX_ITEMS;
  const maxChars = options.maxChars ?? LIST_MAX_CHARS;
  const quote = options.quote ?? ((item: string) => quoted(item));
  const shown: string[] = [];
  let chars = 0;
  for (const item of items) {
    if (shown.length >= maxItems) break;
    const text = quote(item);
    if (shown.length > 0 && chars + 2 + text.length > maxChars) break;
    shown.push(text);
    chars += (shown.length > 1 ? 2 : 0) + text.length;
  }
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(', ')}, … and ${count(more)} more ${noun}` : shown.join(', ');
}
