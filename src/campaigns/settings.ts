/**
 * The campaigns stage's settings, kept in the store (campaign_settings): the soft-bounce limit and the
 * store-wide marketing-pressure cap per channel. Each has a documented default (docs/campaigns.md).
 */
import type { Db } from '../store/db.js';
import { CHANNELS, type Channel } from '../store/types.js';

/** Soft bounces in a row (campaigns with results, without a delivery between) that suppress an address. */
export const DEFAULT_SOFT_BOUNCE_LIMIT = 3;

export interface PressureDefault {
  maxSends: number;
  period: string;
}

export interface CampaignSettings {
  softBounceLimit: number;
  /** The cap each export on the channel applies unless it says otherwise; absent: none. */
  pressure: Partial<Record<Channel, PressureDefault>>;
}

function read(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM campaign_settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function getSettings(db: Db): CampaignSettings {
  const soft = read(db, 'soft_bounce_limit');
  const pressure: CampaignSettings['pressure'] = {};
  for (const channel of CHANNELS) {
    const value = read(db, `pressure.${channel}`);
    if (value === null) continue;
    const [max, period] = value.split('/');
    pressure[channel] = { maxSends: Number(max), period: period! };
  }
  return { softBounceLimit: soft === null ? DEFAULT_SOFT_BOUNCE_LIMIT : Number(soft), pressure };
}

export function setSoftBounceLimit(db: Db, limit: number): void {
  db.prepare('INSERT INTO campaign_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('soft_bounce_limit', String(limit));
}

/** Sets (or, with null, removes) the store-wide cap of a channel. */
export function setPressureDefault(db: Db, channel: Channel, cap: PressureDefault | null): void {
  if (cap === null) db.prepare('DELETE FROM campaign_settings WHERE key = ?').run(`pressure.${channel}`);
  else db.prepare('INSERT INTO campaign_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(`pressure.${channel}`, `${cap.maxSends}/${cap.period}`);
}
