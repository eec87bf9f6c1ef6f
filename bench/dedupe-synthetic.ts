/**
 * Synthetic French-style contacts with known duplicates, written straight into a store: the dedupe
 * tests (property: merge then unmerge) and the benchmark fallback use it. A share of people get one or
 * two extra records with the mistakes real files have: typos, lost accents, swapped names, a new
 * surname, day/month swaps, another email domain, a phone written differently, a moved address.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../src/store/db.js';
import { rng } from '../src/dedupe/scoring.js';

const FIRST = ('Marie Jean Pierre Michel André Philippe Nathalie Isabelle Sophie Catherine Nicolas Julien Camille Léa Chloé ' +
  'Manon Emma Lucas Hugo Louis Gabriel Arthur Jules Paul Thomas Antoine Céline Sandrine Valérie Stéphane Frédéric Éric ' +
  'Christophe François Hélène Agnès Béatrice Gérard Jacques Bernard Claire Aurélie Élodie Mathilde Pauline Laurent ' +
  'Olivier Vincent Sébastien Guillaume Maxime Alexandre Romain Anaïs Inès Zoé Lina Noé Raphaël Théo Clément Margaux ' +
  'Juliette Lucie Océane Thierry Patrick Alain Daniel Christine Monique Françoise Josiane Yves Hervé Didier Benoît Joël ' +
  'Solène Maëlle Gaëlle Loïc Yannick Ronan Erwan Killian Mélanie Virginie Karine Delphine Emilie Audrey Fanny').split(' ');
const LAST = ('Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy Roux David ' +
  'Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefebvre Faure André Mercier ' +
  'Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry ' +
  'Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard ' +
  'Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin ' +
  'Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey ' +
  'Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis ' +
  'Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot ' +
  'Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le Gall Collet ' +
  'Léger Bouvier Julien Prévost Millet Perrot Daniel Le Roux Cousin Germain Breton Besson Langlois Rémy Le Goff Pelletier ' +
  'Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard ' +
  'Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva Bouchet Gay Lemaître Bénard Marécha ' +
  'Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte').split(' ');
const STREETS = ('rue de la République|avenue Jean Jaurès|rue Victor Hugo|boulevard Gambetta|rue Pasteur|place de la Mairie|' +
  'rue du Moulin|chemin des Vignes|rue de la Gare|allée des Tilleuls|impasse des Lilas|rue Nationale|avenue de Verdun|' +
  'rue des Écoles|route de Lyon|rue Saint-Michel|quai de la Loire|rue du Château|boulevard Voltaire|rue Émile Zola').split('|');
const DOMAINS = ['gmail.com', 'orange.fr', 'free.fr', 'hotmail.fr', 'yahoo.fr', 'sfr.fr', 'laposte.net', 'wanadoo.fr', 'outlook.fr'];

export interface SyntheticOptions {
  people: number;
  /** Share of people with duplicate records (0.15 = 15 %). */
  duplicateShare: number;
  seed: number;
  /** Purchases and consents per record (for merge/unmerge tests). */
  withHistory?: boolean;
}

export interface SyntheticResult {
  contacts: number;
  /** contact id -> person number */
  truth: Map<number, number>;
}

interface Person {
  first: string; last: string; email: string | null; phone: string | null; mobile: string | null;
  street: string; postal: string; city: string; birth: string | null;
}

export function syntheticContacts(db: Db, options: SyntheticOptions): SyntheticResult {
  const r = rng(options.seed);
  const pick = <T>(list: T[]): T => list[Math.floor(r() * list.length)];
  // Zipf-like surnames: "Martin" is far more common than "Laporte", as in real files.
  const zipf = (list: string[]): string => list[Math.min(list.length - 1, Math.floor(list.length * r() ** 2.2))];
  const syllable = () => pick(['bo', 'ma', 'ri', 'son', 'vil', 'lan', 'cha', 'mont', 'pe', 'tru', 'gar', 'bel', 'nor', 'du', 'sel', 'ca', 'lo', 'fre', 'ven', 'ju']);
  const places = Array.from({ length: 4000 }, (_, i) => {
    const name = `${pick(['', '', '', 'Saint-', 'Le ', 'La '])}${syllable()}${syllable()}${pick(['ville', 'court', 'ac', 'y', 'an', 'ières', 'bourg', '', 'ois', 'heim'])}`;
    return { postal: String(1000 + ((i * 7919) % 94000)).padStart(5, '0'), city: name[0].toUpperCase() + name.slice(1) };
  });
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
  const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
  const typo = (s: string): string => {
    if (s.length < 3) return s;
    const i = 1 + Math.floor(r() * (s.length - 2));
    const kind = r();
    if (kind < 0.33) return s.slice(0, i) + s.slice(i + 1);
    if (kind < 0.66) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
    return s.slice(0, i) + 'aeiourstnl'[Math.floor(r() * 10)] + s.slice(i + 1);
  };
  const now = new Date('2026-11-01T00:00:00Z').getTime();
  const insert = db.prepare(`INSERT INTO contacts (uid, source, external_id, external_key, first_name, last_name, email, email_norm,
      phone, phone_digits, mobile, mobile_digits, address_line1, postal_code, city, country, birth_date, imported_at, updated_at)
    VALUES (?, 'synthetic', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'France', ?, ?, ?)`);
  const purchase = db.prepare(`INSERT INTO purchases (contact_id, source, order_ref, line_no, ordered_at, amount_minor, currency)
    VALUES (?, 'synthetic', ?, 1, ?, ?, 'EUR')`);
  const consent = db.prepare(`INSERT INTO consents (contact_id, channel, status, recorded_at, source) VALUES (?, ?, ?, ?, 'synthetic')`);
  const truth = new Map<number, number>();
  const emails = new Set<string>();
  // An address belongs to one person: a taken one gets a number, as mail providers do.
  const unique = (email: string): string => {
    let candidate = email;
    while (emails.has(candidate)) candidate = email.replace('@', `${Math.floor(r() * 1000)}@`);
    emails.add(candidate);
    return candidate;
  };
  let row = 0;
  const write = (p: Person, person: number) => {
    row++;
    const updated = new Date(now - Math.floor(r() * 3e10)).toISOString();
    const id = Number(insert.run(randomUUID(), `S${row}`, `S${row}`, p.first, p.last, p.email, p.email?.trim().toLowerCase() ?? null,
      p.phone, p.phone?.replace(/[^\d+]/g, '') ?? null, p.mobile, p.mobile?.replace(/[^\d+]/g, '') ?? null,
      p.street, p.postal, p.city, p.birth, updated, updated).lastInsertRowid);
    truth.set(id, person);
    if (options.withHistory) {
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) purchase.run(id, `O${row}-${k}`, `2025-0${1 + Math.floor(r() * 9)}-1${k}`, Math.floor(r() * 20000));
      if (r() < 0.7) consent.run(id, pick(['email', 'sms']), r() < 0.6 ? 'granted' : 'withdrawn', `2025-0${1 + Math.floor(r() * 9)}-15`);
    }
  };
  db.transaction(() => {
    for (let person = 0; person < options.people; person++) {
      const first = pick(FIRST);
      const last = zipf(LAST);
      const place = pick(places);
      const y = 1940 + Math.floor(r() * 65);
      const m = 1 + Math.floor(r() * 12);
      const d = 1 + Math.floor(r() * 28);
      const base: Person = {
        first, last,
        email: r() < 0.85 ? unique(`${fold(first)}${pick(['.', '', '_'])}${fold(last)}${r() < 0.4 ? Math.floor(r() * 100) : ''}@${pick(DOMAINS)}`) : null,
        phone: r() < 0.4 ? `0${1 + Math.floor(r() * 5)}${digits(8)}` : null,
        mobile: r() < 0.7 ? `0${pick(['6', '7'])}${digits(8)}` : null,
        street: `${1 + Math.floor(r() * 120)} ${pick(STREETS)}`, postal: place.postal, city: place.city,
        birth: r() < 0.8 ? `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` : null,
      };
      write(base, person);
      if (r() >= options.duplicateShare) continue;
      const copies = r() < 0.8 ? 1 : 2;
      for (let c = 0; c < copies; c++) {
        const dup: Person = { ...base };
        const changes = 1 + Math.floor(r() * 3);
        for (let k = 0; k < changes; k++) {
          const what = Math.floor(r() * 11);
          if (what === 0) dup.first = typo(dup.first);
          else if (what === 1) dup.last = typo(dup.last);
          else if (what === 2) dup.last = dup.last.toUpperCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
          else if (what === 3) [dup.first, dup.last] = [dup.last, dup.first];
          else if (what === 4 && dup.email) dup.email = r() < 0.5 ? null : dup.email.replace(/@.*/, `@${pick(DOMAINS)}`);
          else if (what === 5 && dup.mobile) dup.mobile = r() < 0.5 ? `+33 ${dup.mobile.slice(1, 2)} ${dup.mobile.slice(2, 4)} ${dup.mobile.slice(4, 6)} ${dup.mobile.slice(6, 8)} ${dup.mobile.slice(8)}` : null;
          else if (what === 6 && dup.birth) dup.birth = r() < 0.5 && Number(dup.birth.slice(8)) <= 12 ? `${dup.birth.slice(0, 4)}-${dup.birth.slice(8)}-${dup.birth.slice(5, 7)}` : null;
          else if (what === 7) { const moved = pick(places); dup.postal = moved.postal; dup.city = moved.city; dup.street = `${1 + Math.floor(r() * 120)} ${pick(STREETS)}`; }
          else if (what === 8) dup.street = typo(dup.street);
          else if (what === 9) dup.phone = null;
          else dup.first = dup.first.toLowerCase();
        }
        write(dup, person);
      }
    }
  })();
  return { contacts: row, truth };
}
