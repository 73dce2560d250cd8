/**
 * Posting a batch of results: decoded pixel buffers travel in the transfer list, so they move to
 * the page instead of being copied (a 512×512 16-bit frame is 512 KB; a copy per preview adds up).
 */
import type { WorkerReport } from '../src/core/protocol';

export function postReport(port: MessagePort, report: WorkerReport): void {
  const transfer = (report.previews ?? []).map((p) => p.pixels.data);
  port.postMessage(report, transfer);
}
