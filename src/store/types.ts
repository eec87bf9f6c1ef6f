/** Types that carry meaning across stages (kept structural so SQL rows need no conversion). */

/** A contact's stable public id (time-ordered UUID), safe to hand to mailing tools. */
export type Uid = string;
/** An integer amount in minor units (cents), signed. */
export type Cents = number;
/** A phone number in E.164 form, e.g. "+33612345678". */
export type E164 = string;

const E164_RE = /^\+[1-9]\d{6,14}$/;

export function isE164(value: unknown): value is E164 {
  return typeof value === 'string' && E164_RE.test(value);
}
/** 'yyyy-mm-dd' or 'yyyy-mm-dd hh:mm:ss'. */
export type IsoDate = string;

export type ContactStatus = 'active' | 'inactive' | 'merged' | 'erased';
export type Channel = 'email' | 'sms' | 'phone' | 'post';
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'phone', 'post'];
