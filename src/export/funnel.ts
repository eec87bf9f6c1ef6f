/**
 * Why an export holds the rows it holds: the selection, then each channel rule in order with the rows
 * it removed, then what was written. An empty or short list says which step emptied it, so that
 * "0 rows, exit 0" never leaves a person guessing (no consent? no address? the wrong segment?).
 */
import type { Db } from '../store/db.js';
import type { Channel } from '../store/types.js';
import { NO_ADDRESS, NO_CONSENT, PRESSURED, SAME_ADDRESS, SUPPRESSED, type ReasonCounts } from './gate.js';
import type { BuiltQuery, SelectionPlan } from './select.js';

export interface Funnel {
  channel: Channel;
  /** Records the selection holds (segment, tag, --where, status), before any channel rule. */
  selected: number;
  /** No valid address on the channel. */
  noAddress: number;
  /** Post: a letter to the current address came back (PND, campaigns returns); null on other channels. */
  undeliverable: number | null;
  /** Consent not granted (null: not checked, --include-unconsented). */
  noConsent: number | null;
  /** The address, or the person (erased, opposition), is suppressed. */
  suppressed: number;
  /** Another selected record holds the same address and was updated more recently. */
  sameAddress: number;
  /** Already sent the most campaigns the marketing-pressure cap allows in its period (null: no cap). */
  pressure: number | null;
  /** Left when --limit was reached. */
  overLimit: number;
  written: number;
  /** Trap addresses mixed in (not counted in written). */
  seeds: number;
}

const ADDRESS: Record<Channel, { none: string; label: string }> = {
  email: { none: 'have no valid email address', label: 'no valid email address' },
  sms: { none: 'have no mobile number', label: 'no mobile number' },
  phone: { none: 'have no valid phone number', label: 'no valid phone number' },
  post: { none: 'have no complete postal address', label: 'no complete postal address' },
};

const CHANNEL_NAME: Record<Channel, string> = { email: 'email', sms: 'SMS', phone: 'phone', post: 'post' };

interface Step {
  label: string;
  /** What the removed people have in common, after "N selected contacts ...". */
  phrase: string;
  count: number;
}

function steps(f: Funnel): Step[] {
  const channel = CHANNEL_NAME[f.channel];
  const list: Step[] = [{ label: ADDRESS[f.channel].label, phrase: ADDRESS[f.channel].none, count: f.noAddress }];
  if (f.undeliverable !== null) list.push({ label: 'address returned (PND)', phrase: 'had mail returned from their current address (PND)', count: f.undeliverable });
  if (f.noConsent !== null) list.push({ label: `no ${channel} consent`, phrase: `lack ${channel} consent`, count: f.noConsent });
  list.push({ label: 'suppressed', phrase: 'are suppressed (unsubscribed, bounced, opposition or erased)', count: f.suppressed });
  list.push({ label: 'same address as another record', phrase: 'share their address with a more recently updated record', count: f.sameAddress });
  if (f.pressure !== null) list.push({ label: 'marketing pressure cap', phrase: `were already sent the most ${channel} campaigns the pressure cap allows`, count: f.pressure });
  if (f.overLimit > 0) list.push({ label: 'beyond --limit', phrase: 'were beyond --limit', count: f.overLimit });
  return list;
}

/** A step's phrase after a count: its leading verb in the singular for one person ("1 is suppressed"). */
function agree(phrase: string, count: number): string {
  if (count !== 1) return phrase;
  const space = phrase.indexOf(' ');
  const verb = phrase.slice(0, space);
  const singular: Record<string, string> = { have: 'has', lack: 'lacks', are: 'is', share: 'shares', were: 'was' };
  return `${singular[verb] ?? verb}${phrase.slice(space)}`;
}

/** The funnel as aligned lines for the terminal. */
export function funnelLines(f: Funnel): string[] {
  const rows: [string, string][] = [['selected', f.selected.toLocaleString('en')]];
  for (const step of steps(f)) rows.push([`- ${step.label}`, step.count === 0 ? '0' : `-${step.count.toLocaleString('en')}`]);
  rows.push(['= written', f.written.toLocaleString('en')]);
  if (f.seeds > 0) rows.push(['+ seeds', f.seeds.toLocaleString('en')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const numbers = Math.max(...rows.map(([, n]) => n.length));
  return rows.map(([label, n]) => `  ${label.padEnd(width)}  ${n.padStart(numbers)}`);
}

/**
 * One sentence when the list is empty or short (under half of the selection), naming the step(s) that
 * emptied it; null when most of the selection was written.
 */
export function funnelVerdict(f: Funnel, selectionText: string): string | null {
  const n = f.selected.toLocaleString('en');
  if (f.selected === 0) return `0 written: no contact matches the selection (${selectionText})`;
  const removing = steps(f).filter((s) => s.count > 0);
  if (f.written === 0) {
    if (removing.length === 1) {
      return f.selected === 1 ? `0 written: the one selected contact ${agree(removing[0]!.phrase, 1)}` : `0 written: all ${n} selected contacts ${removing[0]!.phrase}`;
    }
    return `0 written: of ${n} selected contacts, ${removing.map((s) => `${s.count.toLocaleString('en')} ${agree(s.phrase, s.count)}`).join(', ')}`;
  }
  if (f.written * 2 >= f.selected) return null;
  // Every step that took people out, the largest first: the one named alone would leave the rest unexplained.
  const why = [...removing].sort((a, b) => b.count - a.count).map((s) => `${s.count.toLocaleString('en')} ${agree(s.phrase, s.count)}`);
  return `only ${f.written.toLocaleString('en')} of ${n} selected contacts written: ${why.join(', ')}`;
}

/** The funnel, once the rows are written: from the rules' counts, or (post) from one statement. */
export function funnelOf(db: Db, plan: SelectionPlan, query: BuiltQuery, counts: ReasonCounts, rows: number, seeds: number): Funnel {
  const selection = plan.selection;
  const consent = selection.includeUnconsented ? null : 0;
  const pressure = plan.pressure ? 0 : null;
  if (!query.gate) {
    const f = db.prepare(query.funnelSql!).get(...query.funnelParams!) as { selected: number; reachable: number; deliverable: number; consenting: number; unsuppressed: number; addresses: number; unpressured: number };
    return {
      channel: selection.channel,
      selected: f.selected,
      noAddress: f.selected - f.reachable,
      undeliverable: f.reachable - f.deliverable,
      noConsent: consent === null ? null : f.deliverable - f.consenting,
      suppressed: f.consenting - f.unsuppressed,
      sameAddress: f.unsuppressed - f.addresses,
      pressure: pressure === null ? null : f.addresses - f.unpressured,
      overLimit: Math.max(0, f.unpressured - rows),
      written: rows,
      seeds,
    };
  }
  const examined = counts.reduce((a, b) => a + b, 0);
  // --limit stopped the rows early: the rest of the selection was not examined.
  const selected = selection.limit !== undefined && rows === selection.limit ? (db.prepare(query.selectedSql).pluck().get(...query.selectedParams) as number) : examined;
  return {
    channel: selection.channel,
    selected,
    noAddress: counts[NO_ADDRESS],
    undeliverable: null,
    noConsent: consent === null ? null : counts[NO_CONSENT],
    suppressed: counts[SUPPRESSED],
    sameAddress: counts[SAME_ADDRESS],
    pressure: pressure === null ? null : counts[PRESSURED],
    overLimit: selected - examined,
    written: rows,
    seeds,
  };
}
