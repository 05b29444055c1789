/**
 * Which network addresses a URL sample may be fetched from.
 *
 * Link-local addresses (where cloud metadata endpoints live: 169.254.169.254, fd00:ec2::254) and
 * unspecified addresses are always refused; loopback, private and shared ranges only with
 * --allow-private-urls. The check is made on the address actually connected to (see fetch-sample.ts),
 * so a name that resolves differently the second time (DNS rebinding) cannot slip through.
 */
import net from 'node:net';

export type AddressVerdict = { ok: true } | { ok: false; reason: string; always: boolean };

function v4(addr: string): number[] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  return m ? m.slice(1).map(Number) : null;
}

export function classifyAddress(address: string): 'link-local' | 'unspecified' | 'loopback' | 'private' | 'public' {
  let a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  const o = v4(a);
  if (o) {
    const [x, y] = o as [number, number];
    if (x === 169 && y === 254) return 'link-local';
    if (x === 0) return 'unspecified';
    if (x === 127) return 'loopback';
    if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127) || (x === 198 && (y === 18 || y === 19))) return 'private';
    if (x >= 224) return 'private'; // multicast and reserved
    return 'public';
  }
  if (a === '::' ) return 'unspecified';
  if (a === '::1') return 'loopback';
  if (/^fe[89ab]/.test(a)) return 'link-local';
  if (a === 'fd00:ec2::254') return 'link-local';
  if (/^f[cd]/.test(a) || /^ff/.test(a)) return 'private';
  return 'public';
}

export function checkAddress(address: string, allowPrivate: boolean): AddressVerdict {
  const kind = classifyAddress(address);
  if (kind === 'link-local') return { ok: false, always: true, reason: `${address} is a link-local address (where cloud metadata endpoints live); it is never fetched` };
  if (kind === 'unspecified') return { ok: false, always: true, reason: `${address} is not a usable address` };
  if ((kind === 'loopback' || kind === 'private') && !allowPrivate) {
    return { ok: false, always: false, reason: `${address} is a ${kind} address; fetching it needs --allow-private-urls (DFI_ALLOW_PRIVATE_URLS=1)` };
  }
  return { ok: true };
}

export const isIpLiteral = (host: string) => net.isIP(host.replace(/^\[|\]$/g, '')) !== 0;
