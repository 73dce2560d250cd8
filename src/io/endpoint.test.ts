import { describe, expect, it } from 'vitest';
import { checkEndpoint, checkRegion, runtimeEndpoint } from './endpoint';

describe('endpoints and regions', () => {
  it('defaults to AHI runtime endpoint of the region', () => {
    expect(checkEndpoint('', 'eu-west-1')).toBe(
      'https://runtime-medical-imaging.eu-west-1.amazonaws.com',
    );
    expect(runtimeEndpoint('us-west-2')).toBe(
      'https://runtime-medical-imaging.us-west-2.amazonaws.com',
    );
  });

  it('accepts a custom HTTPS origin, with or without the scheme', () => {
    expect(checkEndpoint('https://127.0.0.1:8443', 'us-east-1')).toBe('https://127.0.0.1:8443');
    expect(checkEndpoint('localhost:8443/', 'us-east-1')).toBe('https://localhost:8443');
  });

  it('refuses plain HTTP, paths, non-URLs and an AWS endpoint of another region', () => {
    expect(() => checkEndpoint('http://127.0.0.1:8443', 'us-east-1')).toThrow(
      /must use https:\/\//,
    );
    expect(() => checkEndpoint('https://example.com/datastore', 'us-east-1')).toThrow(
      /without a path/,
    );
    expect(() => checkEndpoint('https://exa mple', 'us-east-1')).toThrow(/is not a URL/);
    expect(() =>
      checkEndpoint('https://runtime-medical-imaging.us-west-2.amazonaws.com', 'us-east-1'),
    ).toThrow(/is in us-west-2 but the region is us-east-1/);
  });

  it('checks region names', () => {
    expect(checkRegion(' us-east-1 ')).toBe('us-east-1');
    expect(() => checkRegion('US East')).toThrow(/not an AWS region name/);
  });
});
