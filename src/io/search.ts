/**
 * One search of a datastore, page by page: the criteria checked and built once (core/search.ts),
 * each page fetched under SearchImageSets' quota (25 requests/s) with throttling retried, and the
 * nextToken carried from page to page (AHI binds it to this search).
 */
import {
  buildCriteria,
  checkDatastoreId,
  rowFromSummary,
  type ImageSetRow,
  type SearchCriteria,
  type SearchInput,
} from '../core/search';
import type { AhiClient } from './ahiClient';
import { QuotaGate } from './quota';

/** SearchImageSets' quota per account and region */
export const SEARCH_RATE = 25;

export class ImageSetSearch {
  readonly datastoreId: string;
  readonly criteria: SearchCriteria;
  private token: string | undefined;
  private pages = 0;
  private finished = false;
  private readonly gate: QuotaGate;

  /** Throws BadInput (naming the filter) before any request when the search is not valid. */
  constructor(
    private readonly client: AhiClient,
    private readonly input: SearchInput,
    retried?: (message: string, delayMs: number) => void,
  ) {
    this.datastoreId = checkDatastoreId(input.datastoreId);
    this.criteria = buildCriteria(input);
    this.gate = new QuotaGate(SEARCH_RATE, retried);
  }

  /** Every page has been read. */
  get done(): boolean {
    return this.finished;
  }

  get pagesRead(): number {
    return this.pages;
  }

  /** The next page's rows (none once done). */
  async next(signal?: AbortSignal): Promise<ImageSetRow[]> {
    if (this.finished) return [];
    const page = await this.gate.run(
      () =>
        this.client.searchImageSets(
          this.datastoreId,
          this.criteria,
          Math.max(1, Math.min(50, Math.floor(this.input.pageSize))),
          this.token,
          signal,
        ),
      signal,
    );
    this.pages++;
    this.token = page.nextToken;
    this.finished = this.token === undefined;
    const n = this.pages;
    return page.summaries.flatMap((s) => rowFromSummary(s, n) ?? []);
  }
}
