/**
 * A synthetic shop for the report's browser test and benchmark, written straight into a store with SQL:
 * N contacts (names, emails, phones, addresses, consents; 1 in 100 merged, 1 in 50 inactive), a
 * buy-till-you-die purchase history over three years (Gamma purchase rates, dropout after each repeat
 * purchase, 1-2 lines an order in customer-biased categories, an occasional partial return), and an NPS
 * and satisfaction answer for one contact in five, kept in attributes as a contacts import would.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/store/db.js';
import { PRESETS } from '../../src/score/presets.js';
import { scoreRun } from '../../src/score/run.js';
import { mulberry32 } from '../../bench/random.js';


/** Gamma(shape, 1) by Marsaglia-Tsang (shape < 1 boosted). */
function gamma(rand: () => number, shape: number): number {
  if (shape < 1) return gamma(rand, shape + 1) * Math.pow(rand(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = rand() || 1e-12;
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

const FIRST = ['Marie', 'Jean', 'Sophie', 'Lucas', 'Camille', 'Hugo', 'Léa', 'Thomas', 'Chloé', 'Nicolas', 'Emma', 'Julien'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Moreau', 'Laurent', 'Lefèvre', 'Roux', 'Fournier', 'Girard', 'Bonnet', 'Dupont', 'Mercier'];
const CITIES: Array<[string, string]> = [['75011', 'Paris'], ['69003', 'Lyon'], ['13006', 'Marseille'], ['31000', 'Toulouse'], ['33000', 'Bordeaux'], ['59000', 'Lille']];
const CATEGORIES = ['Jardin', 'Maison', 'Cuisine', 'Bricolage', 'Déco', 'Textile', 'Luminaires', 'Animalerie', 'Épicerie fine', 'Beauté', 'Livres', 'Jeux'];
const CHANNELS = ['web', 'magasin', 'application', 'téléphone'];

export interface SyntheticOptions {
  contacts: number;
  /** The last day with purchases (three years of history end on it, a few orders come after). */
  until: string;
  seed?: number;
}

export function generateShop(db: Db, options: SyntheticOptions): void {
  const rand = mulberry32(options.seed ?? 7);
  const end = Date.parse(`${options.until}T00:00:00Z`);
  const start = end - 1095 * 86_400_000;
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  const now = new Date().toISOString();
  const importId = Number(
    db.prepare(
      `INSERT INTO imports (file_name, sha256, kind, source, columns, mapping, started_at, finished_at, rows_read, inserted)
       VALUES ('synthetic-contacts.csv', 'synthetic', 'contacts', 'synthetic', '[]', ?, ?, ?, ?, ?)`,
    ).run(JSON.stringify({ 'Code client': 'external_id', 'Note NPS': null, 'Satisfaction (1-5)': null }), now, now, options.contacts, options.contacts).lastInsertRowid,
  );
  const contact = db.prepare(
    `INSERT INTO contacts (id, uid, source, external_id, external_key, first_name, last_name, email, email_norm, phone, phone_digits,
       address_line1, postal_code, city, country, attributes, imported_at, updated_at, status, first_import_id, last_import_id)
     VALUES (?, ?, 'synthetic', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'France', ?, ?, ?, ?, ?, ?)`,
  );
  const consent = db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, ?, ?, '2024-01-01', 'synthetic')`);
  const line = db.prepare(
    `INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency, category, channel)
     VALUES (?, 'synthetic', ?, ?, ?, ?, 'EUR', ?, ?)`,
  );
  let order = 0;
  db.transaction(() => {
    for (let id = 1; id <= options.contacts; id++) {
      const first = FIRST[id % FIRST.length]!;
      const last = LAST[Math.floor(id / FIRST.length) % LAST.length]!;
      const email = rand() < 0.9 ? `${first}.${last}.${id}@exemple.fr`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '') : null;
      const phone = rand() < 0.6 ? `06${String(10_000_000 + ((id * 7919) % 89_999_999)).padStart(8, '0')}` : null;
      const [postal, city] = CITIES[id % CITIES.length]!;
      const hasAddress = rand() < 0.7;
      const answers: Record<string, string> = {};
      if (rand() < 0.2) {
        answers['Note NPS'] = String(Math.min(10, Math.floor(gamma(rand, 6) * 1.3)));
        answers['Satisfaction (1-5)'] = String(1 + Math.min(4, Math.floor(gamma(rand, 4) * 0.9)));
      }
      const status = id % 100 === 0 ? 'merged' : id % 50 === 0 ? 'inactive' : 'active';
      contact.run(id, randomUUID(), `K${id}`, `K${id}`, first, last, email, email, phone, phone, hasAddress ? `${1 + (id % 120)} rue de la République` : null,
        hasAddress ? postal : null, hasAddress ? city : null, JSON.stringify(answers), now, now, status, importId, importId);
      if (email) consent.run(id, 'email', rand() < 0.75 ? 'granted' : 'withdrawn');
      if (phone && rand() < 0.5) consent.run(id, 'sms', 'granted');
      if (rand() < 0.3) continue; // prospects
      const rate = gamma(rand, 0.9) / 55;
      const g = gamma(rand, 1);
      const dropout = g / (g + gamma(rand, 3));
      const spend = 1500 + gamma(rand, 2) * 2500;
      const channel = CHANNELS[rand() < 0.6 ? 0 : rand() < 0.6 ? 1 : rand() < 0.7 ? 2 : 3]!;
      let day = rand() * 1095;
      for (let n = 0; n < 100 && day < 1095 + 40; n++) {
        order++;
        const ref = `S${String(order).padStart(9, '0')}`;
        const lines = 1 + Math.floor(rand() * 2);
        const date = iso(start + Math.floor(day) * 86_400_000);
        for (let l = 1; l <= lines; l++) {
          const category = CATEGORIES[(id % 5 + Math.floor(rand() * 4) + (rand() < 0.1 ? 6 : 0)) % CATEGORIES.length]!;
          line.run(id, ref, l, date, Math.round((spend / lines) * (0.5 + rand())), category, rand() < 0.9 ? channel : 'web');
        }
        if (rand() < 1 / 30) line.run(id, ref, lines + 1, iso(start + Math.floor(day + 10) * 86_400_000), -Math.round(spend / (2 * lines)), CATEGORIES[id % 5]!, channel);
        if (n > 0 && rand() < dropout) break;
        day += -Math.log(1 - rand()) / rate;
      }
    }
  })();
  db.exec('ANALYZE');
}

/** Two RFMCCA runs with CLV, three months apart (the report's "previous run" and "current run"). */
export function scoreHistory(db: Db, asOf: string): void {
  const base = { bins: 5 as const, segmentMap: PRESETS['rfm10']!, segmentMapLabel: 'rfm10', minSupport: 0.01, method: 'rfmcca' as const, binning: 'quantile' as const };
  const clv = { horizonMonths: 12, discountMonthly: 0.01, penalizer: 0 };
  const earlier = new Date(Date.parse(`${asOf}T00:00:00Z`));
  earlier.setUTCMonth(earlier.getUTCMonth() - 3);
  scoreRun(db, { ...base, asOf: earlier.toISOString().slice(0, 10), clv });
  scoreRun(db, { ...base, asOf, clv });
}
