import { describe, expect, it } from 'vitest';
import { parseFilter, parseRunArgs, type RunOptions } from './args';

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

  it('takes a datastore instead of manifests: every image set, those a filter finds, or those named', () => {
    const ds = 'a'.repeat(32);
    const set = 'b'.repeat(32);
    const o = parseRunArgs(['-r', 'us-east-1', '--datastore', ds], {}) as RunOptions;
    expect(o.inputs).toEqual([]);
    expect(o.datastore).toEqual({ datastoreId: ds, imageSets: [], filters: [] });
    const f = parseRunArgs(
      [
        '-r',
        'us-east-1',
        '--datastore',
        ds,
        '--filter',
        'PatientId=P1',
        '--filter',
        'StudyDate=2024-01-01..2024-03-31',
      ],
      {},
    ) as RunOptions;
    expect(f.datastore?.filters).toEqual([
      { field: 'DICOMPatientId', operator: 'EQUAL', value: 'P1', upper: '' },
      {
        field: 'DICOMStudyDateAndTime',
        operator: 'BETWEEN',
        value: '2024-01-01',
        upper: '2024-03-31',
      },
    ]);
    // AHI's own names, any case; a field searched only by range takes one day as its range.
    expect(parseFilter('dicomaccessionnumber=A7')).toMatchObject({ field: 'DICOMAccessionNumber' });
    expect(parseFilter('createdAt=2025-06-01')).toEqual({
      field: 'createdAt',
      operator: 'BETWEEN',
      value: '2025-06-01',
      upper: '2025-06-01',
    });
    expect(parseFilter('isPrimary=true')).toMatchObject({ field: 'isPrimary', operator: 'EQUAL' });
    const named = parseRunArgs(
      [
        '-r',
        'us-east-1',
        '--datastore',
        ds,
        '--image-set',
        set,
        '--image-set',
        set,
        '--save-manifests',
        'm',
      ],
      {},
    ) as RunOptions;
    expect(named.datastore?.imageSets).toEqual([set]);
    expect(named.saveManifests).toBe('m');
  });

  it('refuses a datastore source it cannot search, before any request', () => {
    const ds = 'a'.repeat(32);
    const refused =
      (argv: string[], env: Record<string, string> = {}) =>
      () =>
        parseRunArgs(['-r', 'us-east-1', ...argv], env);
    expect(refused([])).toThrow(
      /at least one manifest with -i FILE .* or a datastore with --datastore ID/,
    );
    expect(refused(['--datastore', 'DS'])).toThrow(/Datastore ID "DS" should be 32 lowercase/);
    expect(refused(['--filter', 'PatientId=P1', '-i', 'm.json'])).toThrow(
      /--filter chooses image sets of a datastore: say which with --datastore ID/,
    );
    expect(refused(['--datastore', ds, '--filter', 'Modality=CT'])).toThrow(
      /"Modality" is not a field AHI searches by/,
    );
    expect(refused(['--datastore', ds, '--filter', 'PatientId'])).toThrow(/should be FIELD=VALUE/);
    expect(refused(['--datastore', ds, '--filter', 'StudyDate=2024-02-30'])).toThrow(
      /Study date.*"2024-02-30" is not a date/,
    );
    expect(refused(['--datastore', ds, '--filter', 'updatedAt=2025-02-01..2025-01-01'])).toThrow(
      /"from" is after "to"/,
    );
    expect(
      refused([
        '--datastore',
        ds,
        '--filter',
        'PatientId=1',
        '--filter',
        'StudyId=2',
        '--filter',
        'isPrimary=true',
      ]),
    ).toThrow(/at most 2 filters/);
    expect(refused(['--datastore', ds, '--image-set', 'x'])).toThrow(
      /--image-set "x": an image set ID/,
    );
    expect(
      refused(['--datastore', ds, '--image-set', 'b'.repeat(32), '--filter', 'PatientId=1']),
    ).toThrow(/give one or the other/);
    expect(refused(['-i', 'm.json', '--save-manifests', 'm'])).toThrow(
      /give it with --datastore ID/,
    );
    expect(refused(['--datastore', ds, '--shard', '2/4'])).toThrow(
      /every shard would search the datastore itself.*--save-manifests DIR, then give every shard -i DIR/,
    );
    expect(
      refused(['--datastore', ds, '--save-manifests', 'm', '--shards', '4'], {
        AWS_BATCH_JOB_ARRAY_INDEX: '1',
      }),
    ).toThrow(/--save-manifests runs once for the whole job, not in shards/);
  });
});
