/** The trained model lives in the store (`dedupe --train`); the latest one is used by every later run. */
import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { Model } from './scoring.js';

const levels = z.record(z.string(), z.array(z.number().positive().max(1)));
const ModelSchema = z.object({ m: levels, u: levels, matchesPerContact: z.number().positive() });

export function latestModel(db: Db): Model | null {
  const row = db.prepare('SELECT params FROM dedupe_models ORDER BY id DESC LIMIT 1').get() as { params: string } | undefined;
  if (!row) return null;
  const parsed = ModelSchema.parse(JSON.parse(row.params));
  return { ...parsed, trained: true };
}

/**
 * The set of fields the latest model was fitted for: null when there is no model, undefined for a model
 * stored before fields were recorded (taken as fitting any set: a model someone trained is not replaced).
 */
export function latestModelFields(db: Db): string | null | undefined {
  const row = db.prepare('SELECT fields FROM dedupe_models ORDER BY id DESC LIMIT 1').get() as { fields: string | null } | undefined;
  if (!row) return null;
  return row.fields ?? undefined;
}

/** Completes a stored model with default levels for comparisons it does not know (added since). */
export function withDefaults(stored: Model | null, defaults: Model): Model {
  if (!stored) return defaults;
  const m = { ...defaults.m };
  const u = { ...defaults.u };
  for (const name of Object.keys(defaults.m)) {
    if (stored.m[name]?.length === defaults.m[name].length) m[name] = stored.m[name];
    if (stored.u[name]?.length === defaults.u[name].length) u[name] = stored.u[name];
  }
  return { m, u, matchesPerContact: stored.matchesPerContact, trained: true };
}

export function saveModel(db: Db, model: Model, contacts: number, pairs: number, fields: string | null = null, fittedBy: 'train' | 'auto' = 'train'): number {
  const params = JSON.stringify({ m: model.m, u: model.u, matchesPerContact: model.matchesPerContact });
  return Number(
    db.prepare('INSERT INTO dedupe_models (trained_at, contacts, pairs, params, fields, fitted_by) VALUES (?, ?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), contacts, pairs, params, fields, fittedBy).lastInsertRowid,
  );
}
