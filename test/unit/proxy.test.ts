import { describe, expect, it } from 'vitest';
import { bypassesProxy, displayProxy, proxyFor, proxySettings } from '../../src/net/proxy.js';

describe('proxy settings from the environment', () => {
  it('reads upper- and lower-case names, HTTPS for https targets and HTTP for http ones', () => {
    const s = proxySettings({ https_proxy: 'http://p:3128', HTTP_PROXY: 'http://q:8080', no_proxy: 'Example.COM, .corp ,10.0.0.1' });
    expect(s).toEqual({ https: 'http://p:3128', http: 'http://q:8080', noProxy: ['example.com', '.corp', '10.0.0.1'] });
    expect(proxyFor(new URL('https://api.prod.generalsystem.com/v1'), s)).toBe('http://p:3128');
    expect(proxyFor(new URL('http://files.example.org/a.csv'), s)).toBe('http://q:8080');
    expect(proxyFor(new URL('ftp://x/'), s)).toBeUndefined();
    expect(proxySettings({})).toEqual({ noProxy: [] });
  });

  it('NO_PROXY matches as curl does: domains with their subdomains, ports, IPs, and *', () => {
    const np = ['example.com', '.corp', 'host:8443', '[::1]:9000', '10.0.0.1'];
    const by = (u: string) => bypassesProxy(new URL(u), np);
    expect([by('https://example.com/'), by('https://a.b.example.com/'), by('https://notexample.com/')]).toEqual([true, true, false]);
    expect([by('http://x.corp/'), by('http://corp/')]).toEqual([true, true]);
    expect([by('https://host:8443/'), by('https://host/')]).toEqual([true, false]);
    expect([by('http://[::1]:9000/'), by('http://[::1]:9001/')]).toEqual([true, false]);
    expect([by('http://10.0.0.1/'), by('http://10.0.0.10/')]).toEqual([true, false]);
    expect(bypassesProxy(new URL('https://anything/'), ['*'])).toBe(true);
  });

  it('shows a proxy without its credentials', () => {
    expect(displayProxy('http://user:secret@proxy.corp:3128')).toBe('http://proxy.corp:3128');
  });
});
