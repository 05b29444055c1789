/**
 * Which network addresses the server may fetch from (URL samples, and the sandbox's URL sources).
 *
 * Classification is ipaddr.js's (a maintained implementation of the IANA special-purpose registries),
 * applied to the address itself and to any IPv4 address embedded in an IPv6 one: IPv4-mapped
 * (`::ffff:a.b.c.d`, written by URL parsers as `::ffff:7f00:1`), IPv4-translated (RFC 6145),
 * IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), 6to4 (`2002::/16`) and
 * Teredo (`2001::/32`, the client address).
 *
 * - always refused: link-local (where cloud metadata endpoints live: 169.254.169.254, fd00:ec2::254),
 *   unspecified, multicast, broadcast and reserved/documentation ranges;
 * - refused unless --allow-private-urls: loopback, private (RFC 1918, unique-local, site-local) and
 *   shared (carrier-grade NAT) ranges.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { ok: true } | { ok: false; reason: string; always: boolean };
export type AddressKind = 'link-local' | 'unspecified' | 'reserved' | 'loopback' | 'private' | 'public';

/** Metadata endpoints outside the link-local ranges. */
const METADATA = new Set(['fd00:ec2::254']);

function classifyV4(a: ipaddr.IPv4): AddressKind {
  switch (a.range()) {
    case 'linkLocal':
      return 'link-local';
    case 'unspecified':
      return 'unspecified';
    case 'broadcast':
    case 'multicast':
    case 'reserved':
      return 'reserved';
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'carrierGradeNat':
      return 'private';
    default:
      return 'public';
  }
}

/** The IPv4 address an IPv6 address carries (mapped, translated, compatible, NAT64, 6to4, Teredo), if any. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const b = a.toByteArray();
  const v4 = (i: number) => new ipaddr.IPv4([b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!]);
  switch (a.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return v4(12);
    case '6to4':
      return v4(2);
    case 'teredo':
      return new ipaddr.IPv4([b[12]! ^ 0xff, b[13]! ^ 0xff, b[14]! ^ 0xff, b[15]! ^ 0xff]);
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, but still routed by some stacks): the first 96 bits are zero.
      return b.slice(0, 12).every((x) => x === 0) && !b.slice(12, 15).every((x) => x === 0) ? v4(12) : null;
  }
}

export function classifyAddress(address: string): AddressKind {
  const raw = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(raw)) return 'reserved';
  const parsed = ipaddr.parse(raw);
  if (parsed.kind() === 'ipv4') return classifyV4(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  if (METADATA.has(v6.toString())) return 'link-local';
  const inner = embeddedV4(v6);
  if (inner) {
    const kind = classifyV4(inner);
    // An embedded public IPv4 is as public as the IPv6 form; an embedded special one is refused as such.
    if (kind !== 'public') return kind;
  }
  switch (v6.range() as string) {
    case 'linkLocal':
      return 'link-local';
    case 'unspecified':
      return 'unspecified';
    case 'multicast':
    case 'reserved':
    case 'discard':
    case 'benchmarking':
    case 'deprecatedOrchid':
    case 'orchid2':
      return 'reserved';
    case 'loopback':
      return 'loopback';
    case 'uniqueLocal':
    case 'deprecatedSiteLocal':
      return 'private';
    default:
      return 'public';
  }
}

export function checkAddress(address: string, allowPrivate: boolean): AddressVerdict {
  const kind = classifyAddress(address);
  if (kind === 'link-local') return { ok: false, always: true, reason: `${address} is a link-local address (where cloud metadata endpoints live); it is never fetched` };
  if (kind === 'unspecified' || kind === 'reserved') return { ok: false, always: true, reason: `${address} is not a public unicast address (unspecified, multicast or reserved); it is never fetched` };
  if ((kind === 'loopback' || kind === 'private') && !allowPrivate) {
    return { ok: false, always: false, reason: `${address} is a ${kind} address; fetching it needs --allow-private-urls (DFI_ALLOW_PRIVATE_URLS=1)` };
  }
  return { ok: true };
}

export const isIpLiteral = (host: string) => net.isIP(host.replace(/^\[|\]$/g, '')) !== 0;
