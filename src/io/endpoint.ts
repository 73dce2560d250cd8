/**
 * Endpoint rules: AHI's runtime endpoint per region, or a custom one (the local server, a VPC
 * endpoint). Checked before any request, with messages that say what to type instead.
 */
import { RetrieveError } from '../core/errors';

export const AHI_REGIONS = [
  'us-east-1',
  'us-west-2',
  'ap-southeast-2',
  'eu-west-1',
  'eu-west-2',
] as const;

const REGION_RE = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function runtimeEndpoint(region: string): string {
  return `https://runtime-medical-imaging.${region}.amazonaws.com`;
}

/** Validates a region name; throws BadInput naming the problem. */
export function checkRegion(region: string): string {
  const r = region.trim();
  if (!REGION_RE.test(r)) {
    throw new RetrieveError(
      'BadInput',
      `Region "${region}" is not an AWS region name (expected something like us-east-1). AHI runs in ${AHI_REGIONS.join(', ')}.`,
    );
  }
  return r;
}

/**
 * Normalises an endpoint to an origin (`https://host[:port]`). Empty means AWS's runtime endpoint
 * for the region. Only HTTPS is accepted: SigV4 secrets must not travel in clear, and browsers
 * speak HTTP/2 only over TLS.
 */
export function checkEndpoint(endpoint: string, region: string): string {
  const raw = endpoint.trim();
  if (raw === '') return runtimeEndpoint(region);
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `https://${raw}`);
  } catch {
    throw new RetrieveError(
      'BadInput',
      `Endpoint "${endpoint}" is not a URL (expected https://host[:port]).`,
    );
  }
  if (url.protocol !== 'https:') {
    throw new RetrieveError(
      'BadInput',
      `Endpoint "${endpoint}" must use https:// (AHI only speaks HTTPS, and credentials must not travel in clear).`,
    );
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new RetrieveError(
      'BadInput',
      `Endpoint "${endpoint}" must be just https://host[:port], without a path.`,
    );
  }
  const awsRegion = /^runtime-medical-imaging(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/.exec(
    url.hostname,
  )?.[1];
  if (awsRegion && awsRegion !== region) {
    throw new RetrieveError(
      'BadInput',
      `Endpoint is in ${awsRegion} but the region is ${region}: the signature would be refused. Make them match.`,
    );
  }
  return url.origin;
}
