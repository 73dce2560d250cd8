/**
 * Cognito Identity's two unauthenticated calls (GetId, GetCredentialsForIdentity), so the real
 * @aws-sdk/credential-provider-cognito-identity runs against the local server. Credentials it
 * hands out are minted by sigv4.ts and verified like AWS's.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ServerContext } from '../context';
import { readBody, writeJson } from '../http';
import { mintCredentials } from '../sigv4';

/** The identity pool the local Cognito stand-in knows. */
export const DEMO_IDENTITY_POOL_ID = 'us-east-1:00000000-0000-4000-8000-00000000a41e';

const AMZ_JSON = { 'content-type': 'application/x-amz-json-1.1' };

export async function handleCognito(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): Promise<void> {
  ctx.counters.stats.cognitoRequests++;
  const target = String(req.headers['x-amz-target'] ?? '');
  const fail = (status: number, type: string, message: string) =>
    void writeJson(
      res,
      status,
      { __type: type, message },
      { 'x-amzn-errortype': type, ...AMZ_JSON },
    );
  let body: { IdentityPoolId?: string; IdentityId?: string };
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as typeof body;
  } catch {
    return fail(400, 'SerializationException', 'Request body is not JSON');
  }
  if (target === 'AWSCognitoIdentityService.GetId') {
    if (body.IdentityPoolId !== DEMO_IDENTITY_POOL_ID) {
      return fail(
        400,
        'ResourceNotFoundException',
        `IdentityPool '${String(body.IdentityPoolId)}' not found.`,
      );
    }
    writeJson(res, 200, { IdentityId: `us-east-1:${crypto.randomUUID()}` }, AMZ_JSON);
    return;
  }
  if (target === 'AWSCognitoIdentityService.GetCredentialsForIdentity') {
    if (!body.IdentityId?.startsWith('us-east-1:'))
      return fail(400, 'ResourceNotFoundException', 'Identity not found.');
    const c = mintCredentials(ctx.auth, ctx.faults().knobs.credentialsTtlSeconds || 3600);
    ctx.counters.stats.credentialsIssued++;
    writeJson(
      res,
      200,
      {
        IdentityId: body.IdentityId,
        Credentials: {
          AccessKeyId: c.accessKeyId,
          SecretKey: c.secretAccessKey,
          SessionToken: c.sessionToken,
          Expiration: c.expiration.getTime() / 1000,
        },
      },
      AMZ_JSON,
    );
    return;
  }
  return fail(400, 'UnknownOperationException', `Unknown operation ${target}`);
}
