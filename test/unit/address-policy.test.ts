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
