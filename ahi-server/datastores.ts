/**
 * The datastores the local AHI holds, as the control plane describes them (ListDatastores,
 * GetDatastore): the demo datastore (HTJ2K lossless, AHI's default), the one created with
 * losslessStorageFormat JPEG_2000_LOSSLESS, and the research cohort that search and paging use.
 */
import {
  BIG_COHORT_DATASTORE_ID,
  COHORT_DATASTORE_ID,
  DATASTORE_ID,
  J2K_DATASTORE_ID,
  type ImageSet,
} from './imageSet';

export interface Datastore {
  datastoreId: string;
  datastoreName: string;
  datastoreStatus: 'CREATING' | 'ACTIVE' | 'DELETING' | 'DELETED' | 'CREATE_FAILED';
  losslessStorageFormat: 'HTJ2K' | 'JPEG_2000_LOSSLESS';
  createdAt: Date;
  updatedAt: Date;
}

const ALL: readonly Datastore[] = [
  {
    datastoreId: DATASTORE_ID,
    datastoreName: 'ahi-web-retrieve demo',
    datastoreStatus: 'ACTIVE',
    losslessStorageFormat: 'HTJ2K',
    createdAt: new Date('2025-12-01T09:00:00Z'),
    updatedAt: new Date('2026-01-02T12:00:00Z'),
  },
  {
    datastoreId: J2K_DATASTORE_ID,
    datastoreName: 'jpeg-2000-lossless',
    datastoreStatus: 'ACTIVE',
    losslessStorageFormat: 'JPEG_2000_LOSSLESS',
    createdAt: new Date('2025-12-05T09:00:00Z'),
    updatedAt: new Date('2025-12-05T09:00:00Z'),
  },
  {
    datastoreId: COHORT_DATASTORE_ID,
    datastoreName: 'research-cohort',
    datastoreStatus: 'ACTIVE',
    losslessStorageFormat: 'HTJ2K',
    createdAt: new Date('2021-01-04T09:00:00Z'),
    updatedAt: new Date('2026-06-30T17:00:00Z'),
  },
  {
    datastoreId: BIG_COHORT_DATASTORE_ID,
    datastoreName: 'big-cohort',
    datastoreStatus: 'ACTIVE',
    losslessStorageFormat: 'HTJ2K',
    createdAt: new Date('2022-03-01T09:00:00Z'),
    updatedAt: new Date('2026-06-30T17:00:00Z'),
  },
];

/** The datastores of a server's image sets: the three always there, the big cohort when served. */
export function datastoresOf(sets: Iterable<ImageSet>): Datastore[] {
  const used = new Set([...sets].map((s) => s.datastoreId));
  return ALL.filter((d) => d.datastoreId !== BIG_COHORT_DATASTORE_ID || used.has(d.datastoreId));
}

export const datastoreArn = (region: string, id: string) =>
  `arn:aws:medical-imaging:${region}:000000000000:datastore/${id}`;
