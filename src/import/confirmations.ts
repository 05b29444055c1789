/**
 * The dry-run gate: a real import needs the confirmation token that a successful dry run of the same
 * dataset, source and format returned, within a limited time, in this server process.
 *
 * Tokens are random, single-use, and bound to a digest of the canonical request, so a token from a
 * dry run of one format cannot confirm an import of another.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BatchRequest } from '../dfi/schemas.js';

export const CONFIRMATION_TTL_MS = 60 * 60 * 1000;

/** JSON with object keys sorted, so that equal requests give equal digests. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What a confirmation is bound to: the request as sent, or, for sources whose wire form changes
 * every time (fresh presigned URLs), a stable description of the same source.
 */
export type GateKey = BatchRequest | Record<string, unknown>;

export function requestDigest(req: GateKey): string {
  return createHash('sha256').update(canonicalJson(req)).digest('hex');
}

interface Entry {
  digest: string;
  expiresAt: number;
  /** What the dry run found, for the person's confirmation, e.g. "292 valid and 8 invalid rows". */
  finding: string;
}

export type GateCheck = { ok: true; finding: string } | { ok: false; reason: string };

export class ConfirmationStore {
  readonly #entries = new Map<string, Entry>();
  /** Tokens held by an import being confirmed or sent. */
  readonly #taken = new Map<string, Entry>();
  constructor(private readonly ttlMs = CONFIRMATION_TTL_MS, private readonly now = () => Date.now()) {}

  issue(req: GateKey, finding = ''): { token: string; expiresAt: string } {
    this.#sweep();
    const token = `dryrun-${randomBytes(12).toString('base64url')}`;
    const expiresAt = this.now() + this.ttlMs;
    this.#entries.set(token, { digest: requestDigest(req), expiresAt, finding });
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  check(token: string | undefined, req: GateKey): GateCheck {
    if (!token) return { ok: false, reason: 'a real import needs the confirmation token of a successful dry run, and none was given' };
    const e = this.#entries.get(token);
    if (!e) return { ok: false, reason: 'the confirmation token is unknown: it was already used (or is in use by an import being sent), or it comes from another server session' };
    if (e.expiresAt < this.now()) {
      this.#entries.delete(token);
      return { ok: false, reason: 'the confirmation token has expired' };
    }
    if (e.digest !== requestDigest(req)) {
      return { ok: false, reason: 'the confirmation token belongs to a dry run of a different dataset, source or format' };
    }
    return { ok: true, finding: e.finding };
  }

  /**
   * Checks the token and takes it in the same step (no await in between), so that concurrent calls
   * with one token cannot both pass: one import per token. `giveBack` returns it when nothing was
   * sent because the person declined or did not answer.
   */
  take(token: string | undefined, req: GateKey): GateCheck {
    const gate = this.check(token, req);
    if (gate.ok) {
      this.#taken.set(token!, this.#entries.get(token!)!);
      this.#entries.delete(token!);
    }
    return gate;
  }

  /** Returns a taken token, unchanged (same expiry): nothing was sent with it. */
  giveBack(token: string): void {
    const e = this.#taken.get(token);
    this.#taken.delete(token);
    if (e && e.expiresAt >= this.now()) this.#entries.set(token, e);
  }

  /** A taken token was used: an import was sent (or its outcome is unknown). */
  consume(token: string): void {
    this.#taken.delete(token);
    this.#entries.delete(token);
  }

  #sweep(): void {
    const now = this.now();
    for (const [k, e] of this.#entries) if (e.expiresAt < now) this.#entries.delete(k);
  }
}
