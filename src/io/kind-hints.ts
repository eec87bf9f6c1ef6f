/**
 * What says a file's kind before its headers do: a --map naming purchases fields, or a source's remembered
 * columns (the same export again). The headers decide otherwise (detectKind).
 */
import { CONTACT_FIELDS, PURCHASE_FIELDS, type Field, type ImportKind } from './header-map.js';
import type { RememberedColumn } from '../store/source-mappings.js';

/** The kind a --map implies: "Valeur=amount" names a purchases field, "Optin=consent_sms" a contacts one. */
export function kindOfFields(fields: Array<Field | null>): ImportKind | null {
  const purchases = fields.some((f) => f !== null && !CONTACT_FIELDS.includes(f as never) && PURCHASE_FIELDS.includes(f as never));
  const contacts = fields.some((f) => f !== null && CONTACT_FIELDS.includes(f as never) && !PURCHASE_FIELDS.includes(f as never));
  return purchases === contacts ? null : purchases ? 'purchases' : 'contacts';
}

/**
 * The kind a source's remembered columns were saved for, when this file has every one of them for one kind
 * only (the same export again: its headers alone may not say it holds purchases). Otherwise the headers decide.
 */
export function rememberedKind(folded: string[], remembered: RememberedColumn[]): ImportKind | null {
  const kinds = (['contacts', 'purchases'] as const).filter((kind) => {
    const columns = remembered.filter((r) => r.kind === kind);
    return columns.length > 0 && columns.every((r) => folded.includes(r.columnKey));
  });
  return kinds.length === 1 ? kinds[0]! : null;
}
