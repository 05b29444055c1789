/**
 * A CSV record scanner for the platform's dialect (commas, double quotes, no header option), fast on
 * the common case: a line without a quote is split on commas directly; a record with quotes is
 * parsed by RFC 4180 (doubled quotes, commas and newlines inside quotes), leniently: text after a
 * closing quote is kept, an unclosed quote runs to the end of the input.
 *
 * Text is fed in chunks; `onRecord(fields, line)` is called for every non-empty record with the
 * 1-based number of the line it ends on, and may return false to stop.
 */
export type OnRecord = (fields: string[], line: number) => boolean;

function countQuotes(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('"', from); i !== -1 && i < to; i = s.indexOf('"', i + 1)) n++;
  return n;
}

export function parseQuotedRecord(record: string, delimiter = ','): string[] {
  const fields: string[] = [];
  const n = record.length;
  let i = 0;
  for (;;) {
    if (record.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      while (i < n) {
        const q = record.indexOf('"', i);
        if (q === -1) {
          value += record.slice(i);
          i = n;
          break;
        }
        value += record.slice(i, q);
        if (record.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = record.indexOf(delimiter, i);
      if (comma === -1) {
        fields.push(value + record.slice(i));
        return fields;
      }
      fields.push(value + record.slice(i, comma));
      i = comma + 1;
    } else {
      const comma = record.indexOf(delimiter, i);
      if (comma === -1) {
        fields.push(record.slice(i));
        return fields;
      }
      fields.push(record.slice(i, comma));
      i = comma + 1;
    }
  }
}

export class CsvScanner {
  #carry = '';
  #line = 0;
  #started = false;
  #stopped = false;
  /** Whether any record had a quote (a parallel split at newlines is only safe without). */
  sawQuote = false;

  /** `delimiter`: one character; the platform's is the comma (recipes of prepare_files read others). */
  constructor(private readonly onRecord: OnRecord, private readonly delimiter = ',') {}

  get line(): number {
    return this.#line;
  }

  /** Feeds a chunk of text. Returns false once onRecord asked to stop. */
  feed(text: string): boolean {
    if (this.#stopped) return false;
    let s = this.#carry + text;
    if (!this.#started && s.length > 0) {
      this.#started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let pos = 0;
    // Where the next quote is: searched again only once passed (searching per line is quadratic).
    let quote = s.indexOf('"');
    if (quote === -1) quote = Infinity;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl === -1) break;
      if (quote < pos) {
        quote = s.indexOf('"', pos);
        if (quote === -1) quote = Infinity;
      }
      if (quote > nl) {
        // The common case: a line without quotes.
        this.#line++;
        const end = nl > pos && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const start = pos;
        pos = nl + 1;
        if (end > start && !this.onRecord(s.slice(start, end).split(this.delimiter), this.#line)) return this.#stop();
        continue;
      }
      // A record with quotes ends at the first newline where the quotes balance.
      this.sawQuote = true;
      let quotes = countQuotes(s, pos, nl);
      let end = nl;
      let lines = 1;
      while (quotes % 2 === 1) {
        const next = s.indexOf('\n', end + 1);
        if (next === -1) break;
        quotes += countQuotes(s, end + 1, next);
        end = next;
        lines++;
      }
      if (quotes % 2 === 1) break; // the record goes on in the next chunk
      this.#line += lines;
      const record = s.slice(pos, end > pos && s.charCodeAt(end - 1) === 13 ? end - 1 : end);
      pos = end + 1;
      if (record.length > 0 && !this.onRecord(parseQuotedRecord(record, this.delimiter), this.#line)) return this.#stop();
    }
    this.#carry = s.slice(pos);
    return true;
  }

  /** The input ended: the last line (without a newline, or with an unclosed quote) is a record too. */
  end(): void {
    if (this.#stopped) return;
    const rest = this.#carry.replace(/\r$/, '');
    this.#carry = '';
    if (rest.length === 0) return;
    this.#line += 1 + (rest.match(/\n/g)?.length ?? 0);
    if (rest.includes('"')) this.sawQuote = true;
    this.onRecord(rest.includes('"') ? parseQuotedRecord(rest, this.delimiter) : rest.split(this.delimiter), this.#line);
  }

  #stop(): false {
    this.#stopped = true;
    this.#carry = '';
    return false;
  }
}
