/**
 * The project's one CSV record reader: inference, the sandbox's validation, bulk validation and file
 * preparation all read records through it, so that they agree on what a record is.
 *
 * It reads exactly what `csv-parse` reads with `{ delimiter, quote, relax_quotes: true,
 * relax_column_count: true, skip_empty_lines: true, bom: true }` (a property test holds it to that):
 * - a field that starts with the quote is quoted: delimiters and line breaks inside it are data, a
 *   doubled quote is one quote; a quote anywhere else is an ordinary character (`6" pipe`);
 * - a closing quote followed by something other than a delimiter or a line break is kept, with the
 *   opening one, and the field goes on unquoted (`"a"b` reads `"a"b`);
 * - the line break is the first `\r\n`, `\n` or `\r` outside quotes, unless the dialect names it;
 *   other line-break characters are data (a `\r` before `\n` in a file that started with `\n`);
 * - empty lines are skipped; a leading byte-order mark is dropped.
 * Where csv-parse gives up (a quote still open at the end of the input), the reader is lenient: the
 * open field runs to the end of the input.
 *
 * Fast on the common case: a line without a quote is split on the delimiter directly. Text is fed in
 * chunks; `onRecord(fields, line)` gets every record with the 1-based number of the line it ends on,
 * and may return false to stop.
 */
export type RecordDelimiter = '\n' | '\r\n' | '\r';

export interface RecordDialect {
  /** One character. The platform reads ','. */
  delimiter: string;
  /** One character, or '' for no quoting. Default '"'. */
  quote?: string;
  /** Found from the first line break outside quotes when not given, as csv-parse does. */
  recordDelimiter?: RecordDelimiter;
}

/** The platform's dialect: commas, double quotes. */
export const PLATFORM_DIALECT: RecordDialect = { delimiter: ',', quote: '"' };

export type OnRecord = (fields: string[], line: number) => boolean | void;

/**
 * A record without a string per field, for readers that convert millions of rows (prepare_files):
 * field i is `text.slice(starts[i], ends[i])`, read where it lies. An unquoted line is viewed in the
 * chunk's text itself; a record with quoted fields gets a text of its decoded fields end to end.
 * The view is reused for the next record: copy what must outlive the callback.
 */
export class RecordView {
  text = '';
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);

  /** Field i as a string (undefined past the last field). */
  field(i: number): string | undefined {
    return i < this.count ? this.text.slice(this.starts[i], this.ends[i]) : undefined;
  }

  /** Every field as strings. */
  fields(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.text.slice(this.starts[i], this.ends[i]));
    return out;
  }

  #grow(): void {
    const n = this.starts.length * 2;
    const s = new Int32Array(n);
    s.set(this.starts);
    const e = new Int32Array(n);
    e.set(this.ends);
    this.starts = s;
    this.ends = e;
  }

  /** Views s[from, to) split at `delim`. */
  split(s: string, from: number, to: number, delim: string): void {
    this.text = s;
    let n = 0;
    let a = from;
    for (;;) {
      if (n === this.starts.length) this.#grow();
      let d = s.indexOf(delim, a);
      if (d === -1 || d > to) d = to;
      this.starts[n] = a;
      this.ends[n] = d;
      n++;
      if (d === to) break;
      a = d + 1;
    }
    this.count = n;
  }

  /** Views decoded fields (a record with quotes). */
  of(fields: readonly string[]): void {
    let pos = 0;
    while (this.starts.length < fields.length) this.#grow();
    for (let i = 0; i < fields.length; i++) {
      this.starts[i] = pos;
      pos += fields[i]!.length;
      this.ends[i] = pos;
    }
    this.text = fields.join('');
    this.count = fields.length;
  }
}

export type OnRecordView = (view: RecordView, line: number) => boolean | void;

/** Counts `needle` in s[from, to). */
function count(s: string, needle: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf(needle, from); i !== -1 && i + needle.length <= to; i = s.indexOf(needle, i + needle.length)) n++;
  return n;
}

const MORE = -1;

export class CsvRecordReader {
  readonly #delim: string;
  readonly #quote: string;
  #rd: RecordDelimiter | undefined;
  #carry = '';
  #line = 0;
  #started = false;
  #stopped = false;
  /** Whether any field was quoted (a split of the text at line breaks is only safe without). */
  sawQuote = false;
  #onView: OnRecordView | undefined;
  readonly #view = new RecordView();

  /** A reader that hands each record over as a RecordView (no string per field). */
  static viewing(dialect: RecordDialect, onView: OnRecordView): CsvRecordReader {
    const r = new CsvRecordReader(dialect, () => true);
    r.#onView = onView;
    return r;
  }

  constructor(
    dialect: RecordDialect,
    private readonly onRecord: OnRecord,
  ) {
    if (dialect.delimiter.length !== 1) throw new Error('the delimiter must be one character');
    this.#delim = dialect.delimiter;
    this.#quote = dialect.quote ?? '"';
    this.#rd = dialect.recordDelimiter;
  }

  /** The number of lines read so far (after `end`, of the whole input). */
  get line(): number {
    return this.#line;
  }

  /** The line break in use: given, or found; undefined while none was seen. */
  get recordDelimiter(): RecordDelimiter | undefined {
    return this.#rd;
  }

  /** Feeds a chunk of text. Returns false once onRecord asked to stop. */
  feed(text: string): boolean {
    if (this.#stopped) return false;
    this.#process(this.#carry + text, false);
    return !this.#stopped;
  }

  /** The input ended: what is left (a last line without a line break, an open quote) is read too. */
  end(): void {
    if (this.#stopped) return;
    this.#process(this.#carry, true);
    this.#carry = '';
  }

  /** Emits s[from, to), a line without quotes. */
  #emitLine(s: string, from: number, to: number, line: number): boolean {
    if (this.#onView) {
      this.#view.split(s, from, to, this.#delim);
      return this.#stopIf(this.#onView(this.#view, line) === false);
    }
    return this.#emit(s.slice(from, to).split(this.#delim), line);
  }

  #stopIf(stop: boolean): boolean {
    if (stop) {
      this.#stopped = true;
      this.#carry = '';
      return false;
    }
    return true;
  }

  #emit(fields: string[], line: number): boolean {
    if (this.#onView) {
      this.#view.of(fields);
      return this.#stopIf(this.#onView(this.#view, line) === false);
    }
    if (this.onRecord(fields, line) === false) {
      this.#stopped = true;
      this.#carry = '';
      return false;
    }
    return true;
  }

  #process(input: string, final: boolean): void {
    let s = input;
    if (!this.#started && s.length > 0) {
      this.#started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const quote = this.#quote;
    let pos = 0;
    // Where the next quote is: searched again only once passed (searching per line is quadratic).
    let q = quote ? s.indexOf(quote) : -1;
    if (q === -1) q = Infinity;
    while (pos < s.length) {
      const rd = this.#rd;
      if (rd !== undefined) {
        if (q < pos) {
          q = s.indexOf(quote, pos);
          if (q === -1) q = Infinity;
        }
        const nl = s.indexOf(rd, pos);
        if (nl !== -1 && q > nl) {
          // The common case: a line without quotes.
          this.#line++;
          const start = pos;
          pos = nl + rd.length;
          if (nl > start && !this.#emitLine(s, start, nl, this.#line)) return;
          continue;
        }
        if (q === Infinity) {
          // No line break and no quote in what is left: a last line, or the rest of the next chunk.
          if (!final) break;
          this.#line++;
          this.#emitLine(s, pos, s.length, this.#line);
          pos = s.length;
          break;
        }
      }
      const r = this.#record(s, pos, final);
      if (r === null) break; // the record goes on in the next chunk
      const rd2 = this.#rd;
      const lines = rd2 === undefined ? 0 : count(s, rd2, pos, r.end);
      if (r.fields === null) {
        this.#line += lines + 1;
      } else {
        this.#line += lines + 1;
        if (!this.#emit(r.fields, this.#line)) return;
      }
      pos = r.next;
    }
    this.#carry = s.slice(pos);
  }

  /** The length of the line break at s[i] (finding it when not known yet), 0 when none, MORE when the chunk ends too soon to tell. */
  #breakAt(s: string, i: number, final: boolean): number {
    const c = s.charCodeAt(i);
    if (c !== 10 && c !== 13) return 0;
    const rd = this.#rd;
    if (rd !== undefined) {
      if (rd === '\r\n') {
        if (c !== 13) return 0;
        if (i + 1 >= s.length) return final ? 0 : MORE;
        return s.charCodeAt(i + 1) === 10 ? 2 : 0;
      }
      return s[i] === rd ? 1 : 0;
    }
    if (c === 13) {
      if (i + 1 >= s.length && !final) return MORE;
      this.#rd = s.charCodeAt(i + 1) === 10 ? '\r\n' : '\r';
    } else this.#rd = '\n';
    return this.#rd.length;
  }

  /** Where the next line break may start at or after `from` (a candidate, checked by #breakAt), or -1. */
  #nextBreak(s: string, from: number): number {
    const rd = this.#rd;
    if (rd !== undefined) return s.indexOf(rd === '\r\n' ? '\r' : rd, from);
    const n = s.indexOf('\n', from);
    const r = s.indexOf('\r', from);
    return n === -1 ? r : r === -1 ? n : Math.min(n, r);
  }

  /**
   * Reads one record from s[pos]: its fields (null for an empty line), where its text ends (before
   * its line break) and where the next record starts; null when the chunk ends inside it.
   */
  #record(s: string, pos: number, final: boolean): { fields: string[] | null; end: number; next: number } | null {
    const delim = this.#delim;
    const quote = this.#quote;
    const first = this.#breakAt(s, pos, final);
    if (first === MORE) return null;
    if (first > 0) return { fields: null, end: pos, next: pos + first };
    const fields: string[] = [];
    let i = pos;
    let nextDelim = -2; // not searched yet
    let nextBreak = -2;
    for (;;) {
      let prefix = '';
      if (quote && s[i] === quote) {
        // A quoted field.
        this.sawQuote = true;
        let j = i + 1;
        let value = '';
        let closed = false;
        for (;;) {
          const k = s.indexOf(quote, j);
          if (k === -1) {
            if (!final) return null;
            // A quote still open at the end of the input: the field runs to the end.
            fields.push(value + s.slice(j));
            return { fields, end: s.length, next: s.length };
          }
          value += s.slice(j, k);
          const after = k + 1;
          if (after >= s.length) {
            if (!final) return null;
            fields.push(value);
            return { fields, end: s.length, next: s.length };
          }
          if (s[after] === quote) {
            value += quote;
            j = after + 1;
            continue;
          }
          if (s[after] === delim) {
            fields.push(value);
            i = after + 1;
            closed = true;
            break;
          }
          const br = this.#breakAt(s, after, final);
          if (br === MORE) return null;
          if (br > 0) {
            fields.push(value);
            return { fields, end: after, next: after + br };
          }
          // A closing quote followed by something else: both quotes are kept, the field goes on.
          prefix = quote + value + quote;
          i = after;
          break;
        }
        if (closed) continue;
      }
      // An unquoted field (or the rest of one): up to the next delimiter or line break.
      if (nextDelim !== -1 && nextDelim < i) nextDelim = s.indexOf(delim, i);
      for (;;) {
        if (nextBreak !== -1 && nextBreak < i) nextBreak = this.#nextBreak(s, i);
        if (nextBreak === -1) break;
        if (nextDelim !== -1 && nextDelim < nextBreak) break;
        const br = this.#breakAt(s, nextBreak, final);
        if (br === MORE) return null;
        if (br > 0) break;
        nextBreak = this.#nextBreak(s, nextBreak + 1); // a line-break character that is data here
      }
      if (nextDelim !== -1 && (nextBreak === -1 || nextDelim < nextBreak)) {
        fields.push(prefix + s.slice(i, nextDelim));
        i = nextDelim + 1;
        continue;
      }
      if (nextBreak !== -1) {
        fields.push(prefix + s.slice(i, nextBreak));
        return { fields, end: nextBreak, next: nextBreak + this.#rd!.length };
      }
      if (!final) return null;
      fields.push(prefix + s.slice(i));
      return { fields, end: s.length, next: s.length };
    }
  }
}

/** Reads the records of a text (at most `maxRecords`). */
export function readRecords(text: string, dialect: RecordDialect, maxRecords = Infinity): string[][] {
  const rows: string[][] = [];
  if (maxRecords <= 0) return rows;
  const reader = new CsvRecordReader(dialect, (fields) => rows.push(fields) < maxRecords);
  reader.feed(text);
  reader.end();
  return rows;
}
