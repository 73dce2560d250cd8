/**
 * The native decoders from Debian (opj_decompress, djpeg, djxl) on the same frames as the app's
 * WASM codecs: ms per frame, each a whole command run (process start and file I/O included, so an
 * upper bound of the decode itself; the start alone is also timed, on --version/-h).
 */
import { execFileSync } from 'node:child_process';
import { decodeIndependently, syntaxFixtures } from '../ahi-server/syntax-fixtures';

const TOOL: Record<string, [string, string[]]> = {
  'image/j2c': ['opj_decompress', ['-h']],
  'image/jpeg': ['djpeg', ['-version']],
  'image/jxl': ['djxl', ['--version']],
};

export function nativeDecodes(repeat: number) {
  return syntaxFixtures()
    .filter((f) => TOOL[f.contentType])
    .map((f) => {
      const [tool, startArgs] = TOOL[f.contentType]!;
      try {
        decodeIndependently(f);
        let t = performance.now();
        for (let i = 0; i < repeat; i++) decodeIndependently(f);
        const msPerFrame = (performance.now() - t) / repeat;
        t = performance.now();
        for (let i = 0; i < repeat; i++)
          try {
            execFileSync(tool, startArgs, { stdio: 'ignore' });
          } catch {
            // some print their usage with a non-zero status: the start is what is timed
          }
        return { file: f.file, tool, msPerFrame, startMs: (performance.now() - t) / repeat };
      } catch (e) {
        return { file: f.file, tool, msPerFrame: NaN, startMs: NaN, error: (e as Error).message };
      }
    });
}
