import { describe, expect, it } from 'vitest';
import { checkAddress, classifyAddress } from '../../src/net/address-policy.js';

describe('the address policy for URL samples', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    // IPv6 forms that carry an IPv4 address, as URL parsers write them (hex) and as people do
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:0:7f00:1', 'loopback'], // RFC 6145 IPv4-translated
    ['::7f00:1', 'loopback'], // IPv4-compatible
    ['64:ff9b::a9fe:a9fe', 'link-local'], // NAT64
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::a00:1', 'private'], // local-use NAT64
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback'], // 6to4
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1
    ['fd00:ec2:0::254', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::', 'unspecified'],
    ['ff02::1', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['2001:db8::1', 'reserved'],
  ])('%s is %s', (addr, kind) => {
    expect(classifyAddress(addr)).toBe(kind);
  });

  it('refuses metadata always, private ranges unless allowed', () => {
    expect(checkAddress('169.254.169.254', true)).toMatchObject({ ok: false, always: true });
    expect(checkAddress('10.0.0.1', false)).toMatchObject({ ok: false, always: false });
    expect(checkAddress('10.0.0.1', true)).toEqual({ ok: true });
    expect(checkAddress('93.184.216.34', false)).toEqual({ ok: true });
  });
});
