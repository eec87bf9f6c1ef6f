/**
 * Synthetic customer files for benchmarks and tests: N contact rows (French- or English-style exports),
 * a known share of them duplicates of another person (typos, dropped accents, swapped names, phone
 * formats, missing fields), their orders, and a truth file mapping each row to its person.
 *
 *   npx tsx bench/generate.ts --contacts 100000 --out /tmp/gen [--style fr|en] [--duplicates 0.15]
 *                             [--purchases 3] [--seed 42] [--encoding utf8|cp1252] [--mode full|sparse]
 *
 * `--mode sparse` writes only first name, surname, birth date, city and email (as a newsletter or an
 * event sign-up file would), with 1-3 errors per duplicate: typos in any field, missing values, birth
 * dates off by a day or a month, nicknames (Philippe / Phil), another email provider.
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { fileURLToPath } from 'node:url';
import { mulberry32 as rng } from './random.js';

export interface GenerateOptions {
  contacts: number;
  style?: 'fr' | 'en';
  /** Share of contact rows that are another person again (0.15 = 15 %). */
  duplicateShare?: number;
  /** Mean number of orders per person (0 = no purchases file). */
  purchasesPerContact?: number;
  seed?: number;
  outDir: string;
  encoding?: 'utf8' | 'cp1252';
  /** full (default): every column a CRM export has; sparse: first name, surname, birth date, city, email. */
  mode?: 'full' | 'sparse';
}

export interface GeneratedFiles {
  contactsFile: string;
  purchasesFile: string | null;
  truthFile: string;
  people: number;
  contactRows: number;
  purchaseRows: number;
}

const FR_FIRST = ['Jean', 'Marie', 'Pierre', 'Nathalie', 'Michel', 'Isabelle', 'André', 'Sylvie', 'Philippe', 'Catherine', 'Alain', 'Françoise', 'Jacques', 'Hélène', 'Bernard', 'Céline', 'Éric', 'Valérie', 'François', 'Sandrine', 'Christophe', 'Stéphanie', 'Laurent', 'Véronique', 'Nicolas', 'Aurélie', 'Sébastien', 'Émilie', 'Julien', 'Chloé', 'Thomas', 'Léa', 'Jérôme', 'Manon', 'Olivier', 'Camille', 'Frédéric', 'Inès', 'Benoît', 'Zoé', 'Gaëlle', 'Loïc', 'Noémie', 'Raphaël', 'Maëlys', 'Anaïs', 'Jean-Pierre', 'Marie-Claire', 'Joël', 'Agnès', 'Yannick', 'Solène', 'Hervé', 'Mathéo', 'Clément', 'Adèle', 'Gérard', 'Josiane', 'René', 'Thérèse'];
const FR_LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez', 'Legrand', 'Garnier', 'Faure', 'Rousseau', 'Blanc', 'Guérin', 'Muller', 'Henry', 'Roussel', 'Nicolas', 'Perrin', 'Morin', 'Mathieu', 'Clément', 'Gauthier', 'Dumont', 'Lopez', 'Fontaine', 'Chevalier', 'Robin', 'Le Goff', 'Le Gall', 'Kerbrat', 'Quéré', 'de la Tour', "N'Diaye", 'Benoît', 'Brunet', 'Schmitt', 'Colin', 'Vidal', 'Caron', 'Picard', 'Roger', 'Fabre', 'Aubert', 'Lemoine', 'Renaud', 'Dumas', 'Lacroix', 'Olivier', 'Philippe', 'Bourgeois', 'Pierre', 'Benoit', 'Rey', 'Leclerc', 'Payet', 'Rolland', 'Leclercq', 'Guillaume', 'Lecomte', 'Lopes', 'Jean', 'Dupuy', 'Guillot', 'Hubert', 'Berger', 'Carpentier', 'Sanchez', 'Dupuis', 'Moulin', 'Louis', 'Deschamps', 'Huet', 'Vasseur', 'Perez', 'Boucher', 'Fleury', 'Royer', 'Klein', 'Jacquet', 'Adam', 'Paris', 'Poirier', 'Marty', 'Aubry', 'Guyot', 'Carré', 'Charles', 'Renard', 'Charpentier', 'Ménard', 'Maillard', 'Baron', 'Bertin', 'Bailly', 'Hervé', 'Schneider', 'Fernandez', 'Le Roux', 'Collet', 'Léger', 'Bouvier', 'Julien', 'Prévost', 'Millet', 'Perrot', 'Daniel', 'Le Roy', 'Cousin', 'Germain', 'Breton', 'Besson', 'Langlois', 'Rémy', 'Pelletier', 'Lévêque', 'Perrier', 'Leblanc', 'Barré', 'Lebrun', 'Marchal', 'Weber', 'Mallet', 'Hamon', 'Boulanger', 'Jacob', 'Monnier', 'Michaud', 'Rodriguez', 'Guichard', 'Gillet', 'Étienne', 'Grondin', 'Poulain', 'Tessier', 'Chevallier', 'Collin', 'Chauvin', 'Da Silva', 'Bouchet', 'Gay', 'Lemaire', 'Bénard', 'Marchand', 'Gautier', 'Meunier'];
const FR_CITIES: Array<[string, string]> = [['75011', 'Paris'], ['75015', 'Paris'], ['69003', 'Lyon'], ['13008', 'Marseille'], ['31000', 'Toulouse'], ['06000', 'Nice'], ['44000', 'Nantes'], ['67000', 'Strasbourg'], ['34000', 'Montpellier'], ['33000', 'Bordeaux'], ['59000', 'Lille'], ['35000', 'Rennes'], ['51100', 'Reims'], ['83000', 'Toulon'], ['38000', 'Grenoble'], ['21000', 'Dijon'], ['49000', 'Angers'], ['37000', 'Tours'], ['01000', 'Bourg-en-Bresse'], ['20000', 'Ajaccio'], ['97400', 'Saint-Denis'], ['29200', 'Brest'], ['02100', 'Saint-Quentin'], ['64000', 'Pau'], ['87000', 'Limoges'], ['63000', 'Clermont-Ferrand'], ['76000', 'Rouen'], ['14000', 'Caen'], ['45000', 'Orléans'], ['57000', 'Metz']];
/** Town names repeat across départements, as in France; the postcode is what tells them apart. */
const FR_TOWNS = ['Saint-Martin', 'Villeneuve', 'Montreuil', 'Beaumont', 'Fontaine', 'Bellevue', 'Saint-Georges', 'Châteauneuf', 'Neuville', 'Sainte-Marie', 'Le Mesnil', 'Villefranche', 'Champagne', 'Mont-Saint-Jean', 'La Chapelle'];
const FR_STREETS = ['rue de la République', 'avenue Jean Jaurès', 'rue Victor Hugo', 'boulevard Gambetta', 'rue de la Paix', 'place de l\'Église', 'chemin des Vignes', 'allée des Tilleuls', 'rue du Moulin', 'impasse des Lilas', 'avenue du Général de Gaulle', 'rue Pasteur', 'rue de Verdun', 'quai Saint-Michel', 'route de Lyon'];
const FR_DOMAINS = ['gmail.com', 'orange.fr', 'free.fr', 'laposte.net', 'hotmail.fr', 'yahoo.fr', 'sfr.fr', 'wanadoo.fr', 'outlook.fr', 'icloud.com'];
const EN_FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Margaret', 'Steven', 'Sandra'];
const EN_LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'White', 'Harris', 'Martin', 'Thompson', 'Wood', 'Clarke', 'Walker', 'Hughes', 'Edwards', 'Green', 'Hall', 'Lewis', "O'Brien", 'McDonald', 'Robinson', 'Wright', 'Turner'];
const EN_CITIES: Array<[string, string]> = [['SW1A 1AA', 'London'], ['M1 1AE', 'Manchester'], ['B1 1BB', 'Birmingham'], ['LS1 4AP', 'Leeds'], ['EH1 1YZ', 'Edinburgh'], ['BS1 4DJ', 'Bristol'], ['L1 8JQ', 'Liverpool'], ['CF10 1EP', 'Cardiff']];
const EN_STREETS = ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Green Lane', 'Manor Road', 'Park Avenue', 'Queen Street'];
const EN_DOMAINS = ['gmail.com', 'yahoo.co.uk', 'hotmail.co.uk', 'outlook.com', 'btinternet.com', 'icloud.com'];
const CATEGORIES = ['Épicerie', 'Vins', 'Maison', 'Jardin', 'Beauté', 'Mode', 'Enfants', 'High-tech'];
const CHANNELS = ['web', 'magasin', 'téléphone', 'marketplace'];


interface Person {
  id: number; civility: string; first: string; last: string; email: string; phone: string; street: string;
  postal: string; city: string; birth: [number, number, number]; created: [number, number, number]; optin: boolean;
  company: string; siret: string;
}

/** Writes text in ~1 MiB chunks: one syscall per chunk, memory flat whatever N is. */
class ChunkWriter {
  private parts: string[] = [];
  private size = 0;
  private readonly fd: number;
  constructor(file: string, private readonly encoding: 'utf8' | 'cp1252', bom = false) {
    this.fd = fs.openSync(file, 'w');
    if (bom && encoding === 'utf8') fs.writeSync(this.fd, '\ufeff');
  }
  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }
  private flush(): void {
    const text = this.parts.join('');
    fs.writeSync(this.fd, this.encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'win1252'));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

function luhnSiret(random: () => number): string {
  const digits = Array.from({ length: 13 }, () => Math.floor(random() * 10));
  for (let check = 0; check < 10; check++) {
    const all = [...digits, check];
    const sum = all.reduce((acc, d, i) => {
      const v = (all.length - i) % 2 === 0 ? d * 2 : d;
      return acc + (v > 9 ? v - 9 : v);
    }, 0);
    if (sum % 10 === 0) return all.join('');
  }
  return digits.join('') + '0';
}

export function generateDataset(options: GenerateOptions): GeneratedFiles {
  if (options.mode === 'sparse') return generateSparse(options);
  const style = options.style ?? 'fr';
  const fr = style === 'fr';
  const random = rng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const dupShare = options.duplicateShare ?? 0.15;
  const rows = options.contacts;
  const peopleCount = Math.max(1, rows - Math.round(rows * dupShare));
  fs.mkdirSync(options.outDir, { recursive: true });
  const encoding = options.encoding ?? 'utf8';
  const sep = fr ? ';' : ',';
  const contactsFile = path.join(options.outDir, `contacts-${style}-${rows}.csv`);
  const truthFile = path.join(options.outDir, `truth-${style}-${rows}.csv`);
  const out = new ChunkWriter(contactsFile, encoding, fr && encoding === 'utf8');
  const truth = new ChunkWriter(truthFile, 'utf8');
  truth.write('row_external_id,person_id\n');
  out.write((fr
    ? ['Code client', 'Civilité', 'Prénom', 'Nom', 'E-mail', 'Téléphone', 'Adresse', 'Code postal', 'Ville', 'Pays', 'Date de naissance', "Date d'inscription", 'Opt-in email', 'Société', 'SIRET']
    : ['Customer ID', 'Title', 'First name', 'Last name', 'Email', 'Phone', 'Address', 'Zip', 'City', 'Country', 'Birth date', 'Created', 'Newsletter', 'Company', 'SIRET']).join(sep) + '\r\n');

  const makePerson = (id: number): Person => {
    const female = random() < 0.5;
    const first = pick(fr ? FR_FIRST : EN_FIRST);
    const last = pick(fr ? FR_LAST : EN_LAST);
    // A third live in the big cities, the rest spread over ~9,500 postcodes (France has about 6,000 in use):
    // a real file does not put a million people in thirty postcodes.
    const [postal, city] = !fr || random() < 0.3
      ? pick(fr ? FR_CITIES : EN_CITIES)
      : [`${pad(int(1, 95))}${pad(int(0, 99) * 10, 3)}`, pick(FR_TOWNS)];
    // Most people's address is first.last plus a number, which is what keeps it theirs on a big provider.
    const local = `${stripAccents(first).toLowerCase().replace(/[^a-z]/g, '')}.${stripAccents(last).toLowerCase().replace(/[^a-z]/g, '')}${int(1, 9999)}`;
    const mobile = random() < 0.7;
    const phone = fr
      ? `0${mobile ? pick(['6', '7']) : String(int(1, 5))}${Array.from({ length: 8 }, () => int(0, 9)).join('')}`
      : `07${Array.from({ length: 9 }, () => int(0, 9)).join('')}`;
    const hasCompany = random() < 0.15;
    return {
      id, civility: fr ? (female ? 'Mme' : 'M.') : (female ? 'Ms' : 'Mr'), first, last, email: `${local}@${pick(fr ? FR_DOMAINS : EN_DOMAINS)}`,
      phone, street: `${int(1, 180)} ${pick(fr ? FR_STREETS : EN_STREETS)}`, postal, city,
      birth: [int(1, 28), int(1, 12), int(1940, 2005)], created: [int(1, 28), int(1, 12), int(2015, 2025)],
      optin: random() < 0.6, company: hasCompany ? `${last} ${pick(['SARL', 'SAS', 'et Fils', 'Conseil'])}` : '',
      siret: hasCompany && fr ? luhnSiret(random) : '',
    };
  };

  const typo = (s: string): string => {
    if (s.length < 3) return s;
    const i = int(1, s.length - 2);
    const r = random();
    if (r < 0.33) return s.slice(0, i) + s.slice(i + 1); // deletion
    if (r < 0.66) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2); // transposition
    return s.slice(0, i) + 'aeiourstn'[int(0, 8)] + s.slice(i + 1); // substitution
  };
  const phoneFormat = (p: string): string => {
    const d = p.slice(1);
    if (!fr) return pick([p, `+44 ${d.slice(0, 4)} ${d.slice(4)}`, `${p.slice(0, 5)} ${p.slice(5)}`]);
    return pick([
      p, `${p.slice(0, 2)} ${p.slice(2, 4)} ${p.slice(4, 6)} ${p.slice(6, 8)} ${p.slice(8)}`,
      `${p.slice(0, 2)}.${p.slice(2, 4)}.${p.slice(4, 6)}.${p.slice(6, 8)}.${p.slice(8)}`, `+33 ${d[0]} ${d.slice(1, 3)} ${d.slice(3, 5)} ${d.slice(5, 7)} ${d.slice(7)}`,
      `0033${d}`, `+33 (0)${d}`,
    ]);
  };
  const date = (d: [number, number, number]): string => (fr ? `${pad(d[0])}/${pad(d[1])}/${d[2]}` : `${d[2]}-${pad(d[1])}-${pad(d[0])}`);
  const field = (v: string): string => (v.includes(sep) || v.includes('"') ? `"${v.replace(/"/g, '""')}"` : v);

  // Duplicates point back at earlier people; keep only the fields needed to re-render them.
  const people: Person[] = [];
  const keep = Math.min(peopleCount, 200_000); // a window of people duplicates are drawn from, so memory stays bounded
  let peopleMade = 0;
  let purchaseRows = 0;
  for (let row = 1; row <= rows; row++) {
    const duplicate = peopleMade > 0 && (peopleMade >= peopleCount || random() < dupShare);
    const p = { ...(duplicate ? people[Math.floor(random() * people.length)]! : makePerson(++peopleMade)) };
    const variant = p;
    if (!duplicate) {
      if (people.length < keep) people.push(p);
      else people[Math.floor(random() * keep)] = p;
    } else {
      // 1 to 3 of the ways the same person is typed differently in another file.
      const edits = int(1, 3);
      for (let e = 0; e < edits; e++) {
        switch (int(0, 9)) {
          case 0: variant.first = typo(variant.first); break;
          case 1: variant.last = typo(variant.last); break;
          case 2: variant.first = stripAccents(variant.first); variant.last = stripAccents(variant.last).toUpperCase(); break;
          case 3: [variant.first, variant.last] = [variant.last, variant.first]; break;
          case 4: variant.email = ''; break;
          case 5: variant.phone = ''; break;
          case 6: variant.email = variant.email.replace(/@.*/, `@${pick(fr ? FR_DOMAINS : EN_DOMAINS)}`); break;
          case 7: variant.street = ''; variant.postal = ''; variant.city = ''; break;
          case 8: variant.birth = [variant.birth[1] <= 28 ? variant.birth[1] : variant.birth[0], variant.birth[0] <= 12 ? variant.birth[0] : variant.birth[1], variant.birth[2]]; break;
          default: variant.email = variant.email.toUpperCase(); break;
        }
      }
    }
    const code = fr ? `C${pad(row, 7)}` : `CUST-${pad(row, 7)}`;
    const postal = fr && p.postal.startsWith('0') && random() < 0.1 ? p.postal.slice(1) : p.postal; // spreadsheet ate the zero
    out.write([code, p.civility, field(p.first), field(p.last), p.email, p.phone ? phoneFormat(p.phone) : '', field(p.street), postal, field(p.city),
      fr ? 'France' : 'United Kingdom', date(p.birth), date(p.created), p.optin ? (fr ? 'oui' : 'yes') : (fr ? 'non' : 'no'), field(p.company), p.siret].join(sep) + '\r\n');
    truth.write(`${code},${p.id}\n`);
  }
  out.close();
  truth.close();

  let purchasesFile: string | null = null;
  const mean = options.purchasesPerContact ?? 0;
  if (mean > 0) {
    purchasesFile = path.join(options.outDir, `purchases-${style}-${rows}.csv`);
    const orders = new ChunkWriter(purchasesFile, encoding, fr && encoding === 'utf8');
    orders.write((fr
      ? ['N° commande', 'Date commande', 'Code client', 'Référence', 'Produit', 'Catégorie', 'Canal', 'Quantité', 'Prix unitaire']
      : ['Order ID', 'Order date', 'Customer ID', 'SKU', 'Product', 'Category', 'Channel', 'Quantity', 'Unit price']).join(sep) + '\r\n');
    let orderNo = 0;
    for (let row = 1; row <= rows; row++) {
      const code = fr ? `C${pad(row, 7)}` : `CUST-${pad(row, 7)}`;
      const count = Math.floor(random() * (2 * mean + 1));
      for (let o = 0; o < count; o++) {
        orderNo++;
        const when = `${pad(int(1, 28))}/${pad(int(1, 12))}/${int(2022, 2026)}`;
        const lines = int(1, 3);
        for (let l = 0; l < lines; l++) {
          const category = pick(CATEGORIES);
          const quantity = random() < 0.03 ? -1 : int(1, 4);
          const price = int(150, 12000);
          const priceText = fr ? `${Math.floor(price / 100)},${pad(price % 100)}` : `${Math.floor(price / 100)}.${pad(price % 100)}`;
          orders.write([`CMD${pad(orderNo, 8)}`, fr ? when : when.split('/').reverse().join('-'), code, `SKU-${int(1000, 9999)}`, `Article ${category} ${int(1, 50)}`, category, pick(CHANNELS), quantity, priceText].join(sep) + '\r\n');
          purchaseRows++;
        }
      }
    }
    orders.close();
  }
  return { contactsFile, purchasesFile, truthFile, people: peopleMade, contactRows: rows, purchaseRows };
}

/** Nicknames and short forms a person signs up with: most are prefixes, a few are not (Fanfan, Véro). */
const NICKNAMES: Record<string, string> = {
  Philippe: 'Phil', Christophe: 'Chris', Catherine: 'Cathy', Nicolas: 'Nico', Frédéric: 'Fred', Sébastien: 'Seb',
  Stéphanie: 'Steph', Isabelle: 'Isa', Françoise: 'Fanfan', Véronique: 'Véro', 'Jean-Pierre': 'JP', 'Marie-Claire': 'Marie',
  Christine: 'Christine', Alexandre: 'Alex', Thomas: 'Tom', Emilie: 'Emi', Raphaël: 'Raph', Valérie: 'Val', Julien: 'Juju',
  Mathéo: 'Matt', Benoît: 'Ben', Anaïs: 'Ana', Gérard: 'Gégé', Sandrine: 'Sandy', Aurélie: 'Aurel', Laurent: 'Lolo',
};
const SPARSE_FIRST = [...FR_FIRST, 'Christine', 'Alexandre', 'Emilie', 'Dominique', 'Pascal', 'Martine', 'Guillaume', 'Caroline', 'Patrick', 'Nadia', 'Karim', 'Sophie', 'Lucas', 'Hugo', 'Emma', 'Louise', 'Arthur', 'Jade', 'Yasmine', 'Mehdi'];
const TOWN_QUALIFIERS = ['', '-sur-Mer', '-sur-Loire', '-en-Brie', '-le-Vieux', '-les-Bains', '-la-Forêt', '-sur-Seine', '-du-Lac', '-en-Vexin', '-le-Château', '-sous-Bois'];

/** The sparse file: first name, surname, birth date, city, email; see the header of this file. */
function generateSparse(options: GenerateOptions): GeneratedFiles {
  const random = rng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const rows = options.contacts;
  const dupShare = options.duplicateShare ?? 0.15;
  const peopleCount = Math.max(1, rows - Math.round(rows * dupShare));
  fs.mkdirSync(options.outDir, { recursive: true });
  const contactsFile = path.join(options.outDir, `contacts-sparse-${rows}.csv`);
  const truthFile = path.join(options.outDir, `truth-sparse-${rows}.csv`);
  const out = new ChunkWriter(contactsFile, 'utf8');
  const truth = new ChunkWriter(truthFile, 'utf8');
  truth.write('row_external_id,person_id\n');
  out.write('id,first_name,surname,date_of_birth,city,email\r\n');
  const towns = [...FR_CITIES.map(([, c]) => c), ...FR_TOWNS.flatMap((t) => TOWN_QUALIFIERS.map((q) => `${t}${q}`))];
  const ascii = (v: string) => stripAccents(v).toLowerCase().replace(/[^a-z]/g, '');
  const typo = (v: string): string => {
    if (v.length < 3) return v;
    const i = int(1, v.length - 2);
    const r = random();
    if (r < 0.25) return v.slice(0, i) + v.slice(i + 1);
    if (r < 0.5) return v.slice(0, i) + v[i + 1] + v[i] + v.slice(i + 2);
    if (r < 0.75) return v.slice(0, i) + v[i] + v.slice(i); // a doubled letter
    return v.slice(0, i) + 'aeiourstnl'[int(0, 9)] + v.slice(i + 1);
  };
  type P = { id: number; first: string; last: string; birth: [number, number, number] | null; city: string; email: string };
  const people: P[] = [];
  // An address belongs to one person: a namesake who wants "lea.martin@gmail.com" gets a number.
  const taken = new Set<string>();
  const unique = (local: string, domain: string): string => {
    let email = `${local}@${domain}`;
    while (taken.has(email)) email = `${local}${int(1, 9999)}@${domain}`;
    taken.add(email);
    return email;
  };
  let made = 0;
  const date = (d: [number, number, number] | null) => (d ? `${d[2]}-${pad(d[1])}-${pad(d[0])}` : '');
  for (let row = 1; row <= rows; row++) {
    const duplicate = made > 0 && (made >= peopleCount || random() < dupShare);
    let p: P;
    if (duplicate) {
      p = { ...people[Math.floor(random() * people.length)]! };
      const edits = int(1, 3);
      for (let e = 0; e < edits; e++) {
        switch (int(0, 9)) {
          case 0: p.first = typo(p.first); break;
          case 1: p.last = typo(p.last); break;
          case 2: p.email = p.email ? typo(p.email.replace(/@.*/, '')) + p.email.slice(p.email.indexOf('@')) : p.email; break;
          case 3: p.city = typo(p.city); break;
          case 4: if (p.birth) p.birth = [p.birth[0] === 28 ? 27 : p.birth[0] + 1, p.birth[1], p.birth[2]]; break; // a day off
          case 5: if (p.birth) p.birth = [p.birth[0], p.birth[1] === 12 ? 11 : p.birth[1] + 1, p.birth[2]]; break; // a month off
          case 6: p.first = NICKNAMES[p.first] ?? typo(p.first); break;
          case 7: p.email = p.email ? p.email.replace(/@.*/, `@${pick(FR_DOMAINS)}`) : p.email; break;
          default: { // a value missing
            const f = int(0, 3);
            if (f === 0) p.email = ''; else if (f === 1) p.birth = null; else if (f === 2) p.city = ''; else p.first = '';
          }
        }
      }
    } else {
      const first = pick(SPARSE_FIRST);
      const last = pick(FR_LAST);
      p = {
        id: ++made, first, last, birth: random() < 0.92 ? [int(1, 28), int(1, 12), int(1940, 2005)] : null, city: random() < 0.95 ? pick(towns) : '',
        email: random() < 0.9 ? unique(`${ascii(first)}${pick(['.', '', '_'])}${ascii(last)}${random() < 0.6 ? int(1, 999) : ''}`, pick(FR_DOMAINS)) : '',
      };
      if (people.length < 200_000) people.push(p);
      else people[Math.floor(random() * people.length)] = p;
    }
    const code = `S${pad(row, 7)}`;
    const field = (v: string) => (v.includes(',') || v.includes('"') ? `"${v.replace(/"/g, '""')}"` : v);
    out.write([code, field(p.first), field(p.last), date(p.birth), field(p.city), p.email].join(',') + '\r\n');
    truth.write(`${code},${p.id}\n`);
  }
  out.close();
  truth.close();
  return { contactsFile, purchasesFile: null, truthFile, people: made, contactRows: rows, purchaseRows: 0 };
}

/** The French-style contacts file of `rows` rows in `outDir`, generated once and reused by later runs. */
export function cachedContactsFile(rows: number, outDir: string): string {
  const file = path.join(outDir, `contacts-fr-${rows}.csv`);
  if (!fs.existsSync(file)) generateDataset({ contacts: rows, outDir, style: 'fr', duplicateShare: 0.15, seed: 42 });
  return file;
}

/**
 * A French-style contacts file of `contacts` rows and its line-level orders export (about eight lines a
 * person), generated once into `outDir/orders` and reused by later runs.
 */
export function cachedOrdersDataset(contacts: number, outDir: string): { contactsFile: string; purchasesFile: string } {
  const dir = path.join(outDir, 'orders');
  const contactsFile = path.join(dir, `contacts-fr-${contacts}.csv`);
  const purchasesFile = path.join(dir, `purchases-fr-${contacts}.csv`);
  if (!fs.existsSync(purchasesFile)) {
    fs.mkdirSync(dir, { recursive: true });
    generateDataset({ contacts, outDir: dir, style: 'fr', duplicateShare: 0.15, purchasesPerContact: 4, seed: 42 });
  }
  return { contactsFile, purchasesFile };
}

function main(argv: string[]): void {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!.replace(/^--/, ''), argv[i + 1] ?? '');
  const contacts = Number(args.get('contacts') ?? '1000');
  const outDir = args.get('out');
  if (!outDir || !Number.isInteger(contacts) || contacts < 1) {
    process.stderr.write('usage: npx tsx bench/generate.ts --contacts N --out DIR [--style fr|en] [--duplicates 0.15] [--purchases 3] [--seed 42] [--encoding utf8|cp1252] [--mode full|sparse]\n');
    process.exitCode = 2;
    return;
  }
  const result = generateDataset({
    contacts, outDir, style: (args.get('style') as 'fr' | 'en') ?? 'fr', duplicateShare: Number(args.get('duplicates') ?? '0.15'),
    purchasesPerContact: Number(args.get('purchases') ?? '0'), seed: Number(args.get('seed') ?? '42'),
    encoding: (args.get('encoding') as 'utf8' | 'cp1252') ?? 'utf8', mode: args.get('mode') === 'sparse' ? 'sparse' : 'full',
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main(process.argv.slice(2));
