import { describe, expect, it } from 'vitest';
import { classifyError, errorFromResponse, readBody } from './ahiClient';

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

describe('reading a GetImageFrame body', () => {
  it('reads chunks into one buffer sized from Content-Length', async () => {
    const r = new Response(streamOf([new Uint8Array([1, 2]), new Uint8Array([3, 4, 5])]), {
      headers: { 'content-length': '5' },
    });
    const body = await readBody(r);
    expect([...body]).toEqual([1, 2, 3, 4, 5]);
    expect(body.buffer.byteLength).toBe(5);
  });

  it('treats a body shorter than announced as truncated (it would decode to wrong pixels)', async () => {
    const r = new Response(streamOf([new Uint8Array([1, 2, 3])]), {
      headers: { 'content-length': '10' },
    });
    await expect(readBody(r)).rejects.toMatchObject({
      code: 'Truncated',
      message: 'Body ended after 3 of 10 bytes',
    });
  });

  it('treats a body longer than announced as an error too', async () => {
    const r = new Response(streamOf([new Uint8Array(6)]), { headers: { 'content-length': '4' } });
    await expect(readBody(r)).rejects.toMatchObject({ code: 'Truncated' });
  });

  it('fills the buffer with a BYOB reader when the body is a byte stream, and still catches short and long bodies', async () => {
    const bytes = (chunks: number[][]) =>
      new ReadableStream({
        type: 'bytes',
        start(c) {
          for (const chunk of chunks) c.enqueue(new Uint8Array(chunk));
          c.close();
        },
      });
    const ok = await readBody(
      new Response(bytes([[1, 2], [3], [4, 5]]), { headers: { 'content-length': '5' } }),
    );
    expect([...ok]).toEqual([1, 2, 3, 4, 5]);
    expect(ok.buffer.byteLength).toBe(5);
    await expect(
      readBody(new Response(bytes([[1, 2]]), { headers: { 'content-length': '4' } })),
    ).rejects.toMatchObject({
      code: 'Truncated',
      message: 'Body ended after 2 of 4 bytes',
    });
    await expect(
      readBody(new Response(bytes([[1, 2, 3]]), { headers: { 'content-length': '2' } })),
    ).rejects.toMatchObject({
      code: 'Truncated',
      message: 'Body longer than its Content-Length (2 bytes)',
    });
  });

  it('grows the buffer when no length is announced', async () => {
    const r = new Response(
      streamOf([new Uint8Array(70_000).fill(1), new Uint8Array(70_000).fill(2)]),
    );
    const body = await readBody(r, { sizeHint: 1000 });
    expect(body.length).toBe(140_000);
    expect(body[69_999]).toBe(1);
    expect(body[70_000]).toBe(2);
  });
});

describe('AHI errors', () => {
  it('maps status and error type to our codes', () => {
    expect(classifyError(429, 'ThrottlingException')).toBe('Throttled');
    expect(classifyError(400, 'ThrottlingException:http://internal')).toBe('Throttled');
    expect(classifyError(403, 'ExpiredTokenException')).toBe('ExpiredCredentials');
    expect(classifyError(403, 'InvalidSignatureException')).toBe('AccessDenied');
    expect(classifyError(403, 'AccessDeniedException')).toBe('AccessDenied');
    expect(classifyError(404, 'ResourceNotFoundException')).toBe('NotFound');
    expect(classifyError(409, 'ConflictException')).toBe('Conflict');
    expect(classifyError(400, 'ValidationException')).toBe('Validation');
    expect(classifyError(500, 'InternalServerException')).toBe('ServerError');
    expect(classifyError(503, '')).toBe('ServerError');
  });

  it("reads AWS's message, type and Retry-After from an error response", async () => {
    const r = new Response(JSON.stringify({ message: 'Rate exceeded' }), {
      status: 429,
      headers: {
        'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/',
        'retry-after': '2',
      },
    });
    const e = await errorFromResponse(r, 'GetImageFrame abc');
    expect(e.toInfo()).toEqual({
      code: 'Throttled',
      message: 'GetImageFrame abc: ThrottlingException: Rate exceeded',
      status: 429,
      awsType: 'ThrottlingException',
      retryAfterMs: 2000,
    });
  });

  it('copes with a body that is not JSON (a proxy page)', async () => {
    const e = await errorFromResponse(
      new Response('<html>Bad gateway</html>', { status: 502 }),
      'GetImageFrame abc',
    );
    expect(e.toInfo()).toEqual({
      code: 'ServerError',
      message: 'GetImageFrame abc: HTTP 502',
      status: 502,
    });
  });
});
