/**
 * The one glob matcher for keys (check_s3_source, s3_uri with a glob, s3_presigned listings, the
 * sandbox's S3 sources, the dry run's own listing).
 *
 * Matching is an NFA simulation (Thompson's construction): time grows with the key's length times
 * the number of states alive at once, never exponentially, whatever the glob. A regex engine
 * backtracks on globs such as `*a*a*a*a*a*a*a*a*b` (10 s on a 40-character key); this does not.
 * Globs are also bounded: at most MAX_GLOB_LENGTH characters, MAX_GLOB_WILDCARDS wildcards and
 * MAX_GLOB_ALTERNATIVES brace alternatives.
 *
 * Syntax (as shells and picomatch read it, against the key relative to the prefix):
 * - `*` any run of characters within one path segment (not `/`), `?` one such character;
 * - `**` as a whole segment: any number of segments (`**\/*.csv` at any depth, `a/**` all under a/);
 * - `[abc]`, `[a-z]` one character of the class; `[!p]` and `[^p]` both one character that is
 *   NOT in the class (as in shells); a class never matches `/`;
 * - `{csv,tsv}` alternatives; `\` escapes the next character; everything else is literal;
 * - like picomatch's default, wildcards do not match a `.` that begins a segment (hidden files);
 *   write the dot (`.*`, `**\/.hidden/*.csv`) to match one.
 */
import { invalidInput } from '../errors.js';

export const MAX_GLOB_LENGTH = 512;
export const MAX_GLOB_WILDCARDS = 32;
export const MAX_GLOB_ALTERNATIVES = 32;
/** S3 keys are at most 1,024 bytes; longer names never match. */
export const MAX_MATCHED_KEY_LENGTH = 4096;

interface Edge {
  /** Whether the character may be consumed here. */
  test: (c: string) => boolean;
  to: number;
  /** A wildcard edge does not consume a `.` that begins a segment. */
  wild: boolean;
}

class Nfa {
  readonly eps: number[][] = [];
  readonly edges: Edge[][] = [];
  readonly accept = new Set<number>();
  /** Stars that begin a segment: nothing leaves them on a `.` that begins a segment (hidden names). */
  readonly dotGuard = new Set<number>();
  node(): number {
    this.eps.push([]);
    this.edges.push([]);
    return this.eps.length - 1;
  }
}

type Token = { t: 'lit'; c: string } | { t: 'any' } | { t: 'star' } | { t: 'class'; neg: boolean; ranges: [string, string][] };

const anyButSlash = (c: string) => c !== '/';
const anyChar = () => true;

/** Splits `{a,b}` alternatives (nested allowed); unbalanced braces are literal. */
function expandBraces(glob: string, limit: number): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const end = classEnd(glob, i);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        if (commas.length === 0) {
          // `{x}` alone is literal, as in shells; look for braces after it.
          const rest = expandBraces(glob.slice(i + 1), limit);
          return rest.map((r) => glob.slice(0, i + 1) + r);
        }
        const head = glob.slice(0, open);
        const parts: string[] = [];
        let from = open + 1;
        for (const k of commas) {
          parts.push(glob.slice(from, k));
          from = k + 1;
        }
        parts.push(glob.slice(from, i));
        const tails = expandBraces(glob.slice(i + 1), limit);
        const out: string[] = [];
        for (const p of parts) {
          for (const inner of expandBraces(p, limit)) {
            for (const t of tails) {
              out.push(head + inner + t);
              if (out.length > limit) throw tooComplex(`more than ${limit} alternatives once its braces are expanded`);
            }
          }
        }
        return out;
      }
    } else if (c === ',' && depth === 1) {
      commas.push(i);
    }
  }
  return [glob];
}

/** The index of the `]` closing the class that opens at `i`, or -1 when it is not a class. */
function classEnd(glob: string, i: number): number {
  let j = i + 1;
  if (glob[j] === '!' || glob[j] === '^') j++;
  if (glob[j] === ']') j++; // a leading ] is a member
  for (; j < glob.length; j++) {
    if (glob[j] === '\\') j++;
    else if (glob[j] === ']') return j;
    else if (glob[j] === '/') return -1;
  }
  return -1;
}

function parseClass(glob: string, i: number, end: number): Token {
  let j = i + 1;
  const neg = glob[j] === '!' || glob[j] === '^';
  if (neg) j++;
  const members: string[] = [];
  for (let first = true; j < end; j++, first = false) {
    if (glob[j] === '\\' && j + 1 < end) members.push(glob[++j]!);
    else if (glob[j] === ']' && !first) break;
    else members.push(glob[j]!);
  }
  const ranges: [string, string][] = [];
  for (let k = 0; k < members.length; k++) {
    if (members[k + 1] === '-' && k + 2 < members.length) {
      ranges.push([members[k]!, members[k + 2]!]);
      k += 2;
    } else ranges.push([members[k]!, members[k]!]);
  }
  return { t: 'class', neg, ranges };
}

function tokenize(segment: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) out.push({ t: 'lit', c: segment[++i]! });
    else if (c === '*') {
      if (out.at(-1)?.t !== 'star') out.push({ t: 'star' });
    } else if (c === '?') out.push({ t: 'any' });
    else if (c === '[') {
      const end = classEnd(segment, i);
      if (end < 0) out.push({ t: 'lit', c });
      else {
        out.push(parseClass(segment, i, end));
        i = end;
      }
    } else out.push({ t: 'lit', c });
  }
  return out;
}

function classTest(tok: Extract<Token, { t: 'class' }>): (c: string) => boolean {
  return (c) => {
    if (c === '/') return false;
    const inside = tok.ranges.some(([lo, hi]) => c >= lo && c <= hi);
    return tok.neg ? !inside : inside;
  };
}

/** Splits on `/` outside classes and escapes. */
function segments(glob: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      cur += c + glob[++i];
    } else if (c === '[' && classEnd(glob, i) > 0) {
      const end = classEnd(glob, i);
      cur += glob.slice(i, end + 1);
      i = end;
    } else if (c === '/') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Adds one brace-free alternative to the NFA, from `start`. */
function addAlternative(nfa: Nfa, start: number, glob: string): void {
  const segs = segments(glob);
  let cur = start;
  const lit = (c: string) => {
    const next = nfa.node();
    nfa.edges[cur]!.push({ test: (x) => x === c, to: next, wild: false });
    cur = next;
  };
  segs.forEach((seg, s) => {
    const last = s === segs.length - 1;
    const prevGlobstar = s > 0 && segs[s - 1] === '**';
    if (seg === '**') {
      if (segs.length === 1) {
        // The whole glob: any key.
        nfa.edges[cur]!.push({ test: anyChar, to: cur, wild: true });
        return;
      }
      if (last) {
        // `a/**`: anything under "a/" (picomatch also matches "a" itself after a literal, not after a wildcard).
        if (!prevGlobstar) lit('/');
        nfa.edges[cur]!.push({ test: anyChar, to: cur, wild: true });
        return;
      }
      // `**/`: nothing, or any segments each followed by "/".
      if (s > 0 && !prevGlobstar) lit('/');
      const inside = nfa.node();
      const after = nfa.node();
      nfa.eps[cur]!.push(after, inside);
      nfa.edges[inside]!.push({ test: anyChar, to: inside, wild: true });
      nfa.edges[inside]!.push({ test: (x) => x === '/', to: after, wild: false });
      cur = after;
      return;
    }
    if (s > 0 && !prevGlobstar) lit('/');
    tokenize(seg).forEach((tok, k) => {
      if (tok.t === 'lit') lit(tok.c);
      else if (tok.t === 'star') {
        const loop = nfa.node();
        if (k === 0) nfa.dotGuard.add(loop);
        nfa.eps[cur]!.push(loop);
        nfa.edges[loop]!.push({ test: anyButSlash, to: loop, wild: true });
        cur = loop;
      } else {
        const next = nfa.node();
        nfa.edges[cur]!.push({ test: tok.t === 'any' ? anyButSlash : classTest(tok), to: next, wild: true });
        cur = next;
      }
    });
  });
  nfa.accept.add(cur);
}

function tooComplex(why: string) {
  return invalidInput(`the glob is too complex: ${why}.`, `Use a simpler glob, e.g. "*.csv" or "**/*.csv"; narrow the prefix instead of adding wildcards.`);
}

/** Refuses globs over the bounds; returns the brace alternatives. */
export function checkGlob(glob: string): string[] {
  if (glob.length > MAX_GLOB_LENGTH) throw tooComplex(`${glob.length} characters, at most ${MAX_GLOB_LENGTH} are allowed`);
  let wildcards = 0;
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === '*' || glob[i] === '?' || glob[i] === '[') {
      wildcards++;
      while (glob[i] === '*' && glob[i + 1] === '*') i++;
    }
  }
  if (wildcards > MAX_GLOB_WILDCARDS) throw tooComplex(`${wildcards} wildcards, at most ${MAX_GLOB_WILDCARDS} are allowed`);
  return expandBraces(glob, MAX_GLOB_ALTERNATIVES);
}

/**
 * Compiles a glob into a matcher of keys relative to the prefix (a leading "/" of the key is
 * ignored). Throws `invalid_input` for a glob over the bounds.
 */
export function compileGlob(glob: string): (relativeKey: string) => boolean {
  // `./*.csv` means `*.csv`, as in picomatch.
  const alternatives = checkGlob(glob.replace(/^(\.\/)+/, ''));
  const nfa = new Nfa();
  const start = nfa.node();
  for (const alt of alternatives) {
    const s = nfa.node();
    nfa.eps[start]!.push(s);
    addAlternative(nfa, s, alt);
  }
  const size = nfa.eps.length;
  const mark = new Uint32Array(size);
  let gen = 0;
  const close = (list: number[], s: number) => {
    if (mark[s] === gen) return;
    mark[s] = gen;
    list.push(s);
    for (const e of nfa.eps[s]!) close(list, e);
  };
  return (raw) => {
    const key = raw.replace(/^\/+/, '');
    if (key.length === 0 || key.length > MAX_MATCHED_KEY_LENGTH) return false;
    gen++;
    let current: number[] = [];
    close(current, start);
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!;
      const hiddenDot = c === '.' && (i === 0 || key[i - 1] === '/');
      gen++;
      const next: number[] = [];
      for (const s of current) {
        if (hiddenDot && nfa.dotGuard.has(s)) continue;
        for (const e of nfa.edges[s]!) if (!(e.wild && hiddenDot) && e.test(c)) close(next, e.to);
      }
      if (next.length === 0) return false;
      current = next;
    }
    return current.some((s) => nfa.accept.has(s));
  };
}

/** The one glob matcher for keys relative to the prefix (the syntax and its bounds: above). */
export function globMatcher(glob: string): (relativeKey: string) => boolean {
  return compileGlob(glob);
}
