/**
 * What an export selects, and each channel's rules as data: the address a row is unique on, what makes
 * it reachable, how consent is read, and the hash its members keep (select.ts builds the statements).
 */
import type { Channel } from '../store/types.js';

export type StatusFilter = 'active' | 'inactive' | 'all';

export interface Selection {
  segments: string[];
  run?: number;
  tags: string[];
  where?: string;
  limit?: number;
  status: StatusFilter;
  channel: Channel;
  includeUnconsented: boolean;
  /**
   * Marketing pressure: leave out people already sent `maxSends` campaigns on the channel within
   * `period` (e.g. "30d"). Undefined: the store's default for the channel (campaigns settings); null:
   * no cap, whatever the default.
   */
  pressure?: PressureRequest | null;
}

export interface PressureRequest {
  maxSends: number;
  period: string;
}

/** A selection the store cannot satisfy as asked (unknown segment, no score run...): a usage error. */
export class SelectionError extends Error {}

export interface ChannelRule {
  /** The address a row is unique on. */
  key: string;
  reachable: string;
  /** Consent across every record sharing the address (the person's latest choice), or per contact. */
  consent: 'address' | 'contact';
  /** Column of `contacts` the key is looked up by, for consent by address. */
  lookup?: string;
  /** The written address as the SHA-256 export_members keeps (suppressions' hashing for email and phones). */
  memberHash: string;
}

/**
 * A postal address without the person's name: what a returned letter (PND) is about, folded
 * (post-address.ts: case, accents, spaces, punctuation). A material change to it (import, contact set,
 * clean) makes a new key, so an old return no longer applies; a cosmetic one does not.
 */
export const POST_ADDRESS_KEY = 'ck_post_address(c.address_line1, c.address_line2, coalesce(c.postal_code_norm, c.postal_code), c.city, c.country_code)';

export const CHANNEL_RULES: Record<Channel, ChannelRule> = {
  email: { key: 'c.email_norm', reachable: "c.email_valid = 1 AND c.email_norm IS NOT NULL AND c.email_norm <> ''", consent: 'address', lookup: 'email_norm', memberHash: 'ck_email_hash(c.email_norm)' },
  sms: { key: 'c.sms_e164', reachable: 'c.sms_e164 IS NOT NULL', consent: 'address', lookup: 'sms_e164', memberHash: 'ck_sha256(c.sms_e164)' },
  phone: { key: 'c.phone_e164', reachable: 'c.phone_e164 IS NOT NULL', consent: 'address', lookup: 'phone_e164', memberHash: 'ck_sha256(c.phone_e164)' },
  post: {
    // A household can hold several people: one letter per person and postal address.
    key: "lower(trim(coalesce(c.first_name, ''))) || '|' || lower(trim(coalesce(c.last_name, ''))) || '|' || lower(trim(c.address_line1)) || '|' || coalesce(c.postal_code_norm, c.postal_code, '') || '|' || coalesce(c.country_code, '')",
    reachable: 'c.address_complete = 1',
    consent: 'contact',
    memberHash: `ck_sha256(${POST_ADDRESS_KEY})`,
  },
};


export type DriveKey = 's.rowid' | 's.contact_id' | 'c.id';
