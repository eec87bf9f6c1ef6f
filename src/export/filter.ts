/**
 * The `--where` filter language: a small expression over contact fields and scores, parsed into SQL with
 * `?` parameters. Field names come only from FIELDS below and every value is a bound parameter, so nothing
 * the user types is ever pasted into the SQL text.
 *
 *   expr       := term ('or' term)*
 *   term       := factor ('and' factor)*
 *   factor     := 'not' factor | '(' expr ')' | comparison
 *   comparison := FIELD ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') VALUE
 *               | FIELD ['not'] 'in' '(' VALUE (',' VALUE)* ')'
 *               | FIELD 'contains' STRING | FIELD 'starts' 'with' STRING
 *               | FIELD 'is' ['not'] 'empty'
 *   VALUE      := "text" | 'text' | 12 | 12.5 | 2026-01-01 | today | today-90d (d, w, m or y)
 *
 * Text compares ignore ASCII case; `!=` and `not in` keep contacts where the field is empty.
 */

export type FieldType = 'text' | 'number' | 'money' | 'date' | 'tag' | 'segment';

export interface FieldDef {
  sql: string;
  type: FieldType;
  /** Reads the `scores` row of the selected run (alias `s`). */
  scores?: boolean;
}

export const FIELDS: Record<string, FieldDef> = {
  uid: { sql: 'c.uid', type: 'text' },
  external_id: { sql: 'c.external_id', type: 'text' },
  source: { sql: 'c.source', type: 'text' },
  civility: { sql: 'c.civility', type: 'text' },
  first_name: { sql: 'c.first_name', type: 'text' },
  last_name: { sql: 'c.last_name', type: 'text' },
  email: { sql: 'c.email_norm', type: 'text' },
  city: { sql: 'c.city', type: 'text' },
  postal_code: { sql: 'coalesce(c.postal_code_norm, c.postal_code)', type: 'text' },
  country: { sql: 'c.country_code', type: 'text' },
  company: { sql: 'c.company', type: 'text' },
  gender: { sql: 'c.gender', type: 'text' },
  status: { sql: 'c.status', type: 'text' },
  birth_date: { sql: 'c.birth_date', type: 'date' },
  created_at: { sql: 'c.created_at', type: 'date' },
  updated_at: { sql: 'c.updated_at', type: 'date' },
  last_activity: { sql: 'c.last_activity_at', type: 'date' },
  tag: { sql: 'c.tags', type: 'tag' },
  segment: { sql: 's.segment', type: 'segment', scores: true },
  r: { sql: 's.r_score', type: 'number', scores: true },
  f: { sql: 's.f_score', type: 'number', scores: true },
  m: { sql: 's.m_score', type: 'number', scores: true },
  recency: { sql: 's.recency_days', type: 'number', scores: true },
  frequency: { sql: 's.frequency', type: 'number', scores: true },
  monetary: { sql: 's.monetary_minor', type: 'money', scores: true },
  last_purchase: { sql: 's.last_purchase_at', type: 'date', scores: true },
};

const ALIASES: Record<string, string> = {
  tags: 'tag', country_code: 'country', r_score: 'r', f_score: 'f', m_score: 'm', recency_days: 'recency',
  last_activity_at: 'last_activity', last_purchase_at: 'last_purchase', zip: 'postal_code',
};

/** A mistake in the expression, with the 1-based column it was found at. */
export class FilterError extends Error {
  constructor(
    readonly reason: string,
    readonly column: number,
    readonly expression: string,
  ) {
    super(`${reason} at column ${column}`);
  }

  /** The message, the expression and a caret under the column (the user typed it: no personal data added). */
  display(): string {
    return `${this.message}\n  ${this.expression}\n  ${' '.repeat(Math.max(0, this.column - 1))}^`;
  }
}

export interface CompiledFilter {
  sql: string;
  params: unknown[];
  usesScores: boolean;
}

type TokenKind = 'ident' | 'string' | 'number' | 'date' | 'op' | 'lparen' | 'rparen' | 'comma' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  value?: string | number;
  column: number;
}

const MAX_LENGTH = 4000;
const MAX_DEPTH = 40;

/** Segment names match case- and punctuation-insensitively (`at-risk` = "At Risk"), as CONTRIBUTING.md says. */
export function segmentKey(name: string): string {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

function tokenize(expression: string, today: Date): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (reason: string, at: number): never => {
    throw new FilterError(reason, at + 1, expression);
  };
  while (i < expression.length) {
    const ch = expression[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '"' || ch === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= expression.length) fail('unterminated text: add the closing quote', start);
        const c = expression[i]!;
        if (c === ch) {
          if (expression[i + 1] === ch) {
            text += ch; // a doubled quote stands for itself
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += c;
        i++;
      }
      tokens.push({ kind: 'string', text: expression.slice(start, i), value: text, column: start + 1 });
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\w.])/.exec(expression.slice(i));
    if (date) {
      if (!isRealDate(date[0])) fail(`"${date[0]}" is not a calendar date`, start);
      i += date[0].length;
      tokens.push({ kind: 'date', text: date[0], value: date[0], column: start + 1 });
      continue;
    }
    const relative = /^today(?:\s*-\s*(\d{1,5})\s*([dwmy]))?(?![\w])/i.exec(expression.slice(i));
    if (relative) {
      i += relative[0].length;
      const value = relativeDate(today, relative[1] ? Number(relative[1]) : 0, (relative[2] ?? 'd').toLowerCase());
      tokens.push({ kind: 'date', text: relative[0], value, column: start + 1 });
      continue;
    }
    const number = /^-?\d+(?:\.\d+)?(?![\w.])/.exec(expression.slice(i));
    if (number) {
      i += number[0].length;
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), column: start + 1 });
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i));
    if (ident) {
      i += ident[0].length;
      tokens.push({ kind: 'ident', text: ident[0], column: start + 1 });
      continue;
    }
    const op = /^(?:<=|>=|!=|<>|==|=|<|>)/.exec(expression.slice(i));
    if (op) {
      i += op[0].length;
      tokens.push({ kind: 'op', text: op[0] === '==' ? '=' : op[0] === '<>' ? '!=' : op[0], column: start + 1 });
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      i++;
      tokens.push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', text: ch, column: start + 1 });
      continue;
    }
    fail(`unexpected character "${ch}"`, start);
  }
  tokens.push({ kind: 'end', text: 'end of expression', column: expression.length + 1 });
  return tokens;
}

function isRealDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function relativeDate(today: Date, amount: number, unit: string): string {
  const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  if (unit === 'd') date.setUTCDate(date.getUTCDate() - amount);
  if (unit === 'w') date.setUTCDate(date.getUTCDate() - 7 * amount);
  if (unit === 'm') date.setUTCMonth(date.getUTCMonth() - amount);
  if (unit === 'y') date.setUTCFullYear(date.getUTCFullYear() - amount);
  return date.toISOString().slice(0, 10);
}

const COMPARE_SQL: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

class Parser {
  private pos = 0;
  private depth = 0;
  readonly params: unknown[] = [];
  usesScores = false;

  constructor(
    private readonly tokens: Token[],
    private readonly expression: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private fail(reason: string, token: Token = this.peek()): never {
    throw new FilterError(reason, token.column, this.expression);
  }

  parse(): string {
    if (this.peek().kind === 'end') this.fail('the expression is empty');
    const sql = this.orExpr();
    const rest = this.peek();
    if (rest.kind !== 'end') this.fail(`expected "and", "or" or the end, found "${rest.text}"`, rest);
    return sql;
  }

  private orExpr(): string {
    const parts = [this.andExpr()];
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      parts.push(this.andExpr());
    }
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }

  private andExpr(): string {
    const parts = [this.factor()];
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      parts.push(this.factor());
    }
    return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
  }

  private factor(): string {
    const token = this.peek();
    if (++this.depth > MAX_DEPTH) this.fail(`more than ${MAX_DEPTH} nested conditions`, token);
    try {
      if (this.isWord(token, 'not')) {
        this.next();
        return `(NOT coalesce(${this.factor()}, 0))`;
      }
      if (token.kind === 'lparen') {
        this.next();
        const inner = this.orExpr();
        if (this.peek().kind !== 'rparen') this.fail(`expected ")" to close the "(" at column ${token.column}`);
        this.next();
        return inner;
      }
      return this.comparison();
    } finally {
      this.depth--;
    }
  }

  private comparison(): string {
    const token = this.next();
    if (token.kind !== 'ident') this.fail(`expected a field name, found "${token.text}"`, token);
    const name = ALIASES[token.text.toLowerCase()] ?? token.text.toLowerCase();
    const field = FIELDS[name];
    if (!field) this.fail(`unknown field "${token.text}" (fields: ${Object.keys(FIELDS).join(', ')})`, token);
    if (field.scores) this.usesScores = true;
    const op = this.next();
    if (op.kind === 'op') return this.compare(field, op, this.value(field));
    if (this.isWord(op, 'in')) return this.inList(field, false);
    if (this.isWord(op, 'not') && this.isWord(this.peek(), 'in')) {
      this.next();
      return this.inList(field, true);
    }
    if (this.isWord(op, 'is')) {
      let negate = false;
      if (this.isWord(this.peek(), 'not')) {
        this.next();
        negate = true;
      }
      if (!this.isWord(this.peek(), 'empty')) this.fail('expected "empty" after "is"');
      this.next();
      return this.empty(field, negate);
    }
    if (this.isWord(op, 'contains') || this.isWord(op, 'starts')) {
      if (this.isWord(op, 'starts')) {
        if (!this.isWord(this.peek(), 'with')) this.fail('expected "with" after "starts"');
        this.next();
      }
      if (field.type !== 'text') this.fail(`"${op.text}" works on text fields; ${name} is ${field.type}`, op);
      const value = this.next();
      if (value.kind !== 'string') this.fail(`expected quoted text after "${op.text}"`, value);
      const escaped = String(value.value).replace(/[\\%_]/g, (m) => `\\${m}`);
      this.params.push(this.isWord(op, 'contains') ? `%${escaped}%` : `${escaped}%`);
      return `(${field.sql} LIKE ? ESCAPE '\\')`;
    }
    return this.fail(`expected a comparison (=, !=, <, <=, >, >=, in, contains, starts with, is empty) after "${token.text}"`, op);
  }

  /** The value token checked against the field's type; returns what is bound. */
  private value(field: FieldDef): unknown {
    const token = this.next();
    const expect = (ok: boolean, what: string): void => {
      if (!ok) this.fail(`expected ${what}, found ${token.kind === 'end' ? 'the end of the expression' : `"${token.text}"`}`, token);
    };
    switch (field.type) {
      case 'number':
        expect(token.kind === 'number', 'a number');
        return token.value;
      case 'money':
        expect(token.kind === 'number', 'an amount');
        return Math.round(Number(token.value) * 100);
      case 'date':
        if (token.kind === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(String(token.value)) && isRealDate(String(token.value))) return token.value;
        expect(token.kind === 'date', 'a date (yyyy-mm-dd, today or today-30d)');
        return token.value;
      case 'segment':
        expect(token.kind === 'string' || token.kind === 'ident', 'a segment name');
        return segmentKey(String(token.value ?? token.text));
      default:
        expect(token.kind === 'string' || token.kind === 'number' || token.kind === 'date', 'a value ("text", a number or a date)');
        return String(token.value);
    }
  }

  private target(field: FieldDef): string {
    if (field.type === 'date') return `date(${field.sql})`;
    if (field.type === 'segment') return `ck_segkey(${field.sql})`;
    return field.sql;
  }

  private compare(field: FieldDef, op: Token, value: unknown): string {
    const sqlOp = COMPARE_SQL[op.text]!;
    if (field.type === 'tag') {
      if (op.text !== '=' && op.text !== '!=') this.fail('tags compare with =, != or in', op);
      this.params.push(value);
      const exists = `EXISTS (SELECT 1 FROM json_each(${field.sql}) t WHERE t.value = ? COLLATE NOCASE)`;
      return op.text === '=' ? exists : `(NOT ${exists})`;
    }
    this.params.push(value);
    const collate = field.type === 'text' ? ' COLLATE NOCASE' : '';
    const target = this.target(field);
    if (op.text === '!=') return `(${target} IS NULL OR ${target} <> ?${collate})`;
    return `(${target} ${sqlOp} ?${collate})`;
  }

  private inList(field: FieldDef, negate: boolean): string {
    if (this.peek().kind !== 'lparen') this.fail('expected "(" after "in"');
    this.next();
    const values: unknown[] = [this.value(field)];
    while (this.peek().kind === 'comma') {
      this.next();
      values.push(this.value(field));
    }
    if (this.peek().kind !== 'rparen') this.fail('expected "," or ")" in the list');
    this.next();
    this.params.push(...values);
    const marks = values.map(() => '?').join(', ');
    if (field.type === 'tag') {
      const exists = `EXISTS (SELECT 1 FROM json_each(${field.sql}) t WHERE t.value COLLATE NOCASE IN (${marks}))`;
      return negate ? `(NOT ${exists})` : exists;
    }
    const collate = field.type === 'text' ? ' COLLATE NOCASE' : '';
    const target = this.target(field);
    return negate ? `(${target} IS NULL OR ${target}${collate} NOT IN (${marks}))` : `(${target}${collate} IN (${marks}))`;
  }

  private empty(field: FieldDef, negate: boolean): string {
    const test = field.type === 'tag' ? `json_array_length(${field.sql}) = 0` : `(${field.sql} IS NULL OR trim(${field.sql}) = '')`;
    return negate ? `(NOT ${test})` : `(${test})`;
  }
}

/** Parses EXPR into a parameterised SQL condition over `contacts c` (and `scores s` when it uses scores). */
export function compileFilter(expression: string, today: Date = new Date()): CompiledFilter {
  if (expression.length > MAX_LENGTH) throw new FilterError(`the expression is longer than ${MAX_LENGTH} characters`, 1, `${expression.slice(0, 60)}…`);
  const parser = new Parser(tokenize(expression, today), expression);
  const sql = parser.parse();
  return { sql, params: parser.params, usesScores: parser.usesScores };
}
