import { describe, expect, it } from 'vitest';
import { parseRunArgs, type RunOptions } from './args';

const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseRunArgs(['-i', 'm.json', '-r', 'us-east-1', ...argv], env) as RunOptions;

describe('the runner’s command line', () => {
  it('takes ahi-retrieve’s flags: its concurrency knobs start the tuned limit', () => {
    const o = parse(['-c', '4', '-x', '2', '-m', '5', '-d', '3', '-f', 'jph', '-t', '250']);
    expect(o.inFlight).toBe(40);
    expect(o.streamsPerConnection).toBe(5);
    expect(o.workers).toBe(3);
    expect(o.format).toBe('jph');
    expect(o.progressMs).toBe(250);
    expect(o.autoTune).toBe(true);
    // One knob given: the others at ahi-retrieve's defaults (16 threads, 1 connection, 10 each).
    expect(parse(['-m', '20']).inFlight).toBe(320);
    // None: ours (20 in flight, tuned; 20 streams per connection).
    expect(parse([])).toMatchObject({ inFlight: 20, streamsPerConnection: 20, format: 'raw' });
    expect(parse(['--in-flight', '64', '--no-auto-tune'])).toMatchObject({
      inFlight: 64,
      autoTune: false,
    });
  });

  it('reads the AWS environment where no flag says', () => {
    const o = parseRunArgs(['-i', 'm.json'], {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_HEALTH_IMAGING_ENDPOINT: 'https://vpce.example.com',
    }) as RunOptions;
    expect(o.region).toBe('eu-west-1');
    expect(o.keys).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    expect(o.endpoint).toBe('https://vpce.example.com');
    // No keys anywhere: the AWS credential chain decides.
    expect(parse([]).keys).toBeUndefined();
  });

  it('shards from --shard, or from a batch engine’s index with --shards', () => {
    expect(parse(['--shard', '3/8']).shard).toEqual({ index: 3, count: 8 });
    expect(parse(['--shards', '8'], { JOB_COMPLETION_INDEX: '7' }).shard).toEqual({
      index: 8,
      count: 8,
    });
    expect(parse([]).shard).toEqual({ index: 1, count: 1 });
  });

  it('refuses what it cannot do, saying what to type instead', () => {
    const refused =
      (argv: string[], env: Record<string, string> = {}) =>
      () =>
        parseRunArgs(argv, env);
    expect(refused(['-i', 'm.json'])).toThrow(/Say which AWS region with -r REGION/);
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '-c', '0'])).toThrow(
      /-c\/--downloadThreads "0" should be a whole number, 1 or more/,
    );
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '-p', '3'])).toThrow(/--loops/);
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '--layout', '<PatientID>.dcm'])).toThrow(
      /--layout is the folder template of DICOM files/,
    );
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '-a', 'AKID'])).toThrow(
      /without its secret access key/,
    );
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '--bogus'])).toThrow(/bogus.*--help/);
    expect(refused(['-i', 'm.json', '-r', 'us-east-1', '--progress', 'xml'])).toThrow(
      /choose line, json or none/,
    );
    expect(parseRunArgs(['--help'], {})).toBe('help');
  });
});
