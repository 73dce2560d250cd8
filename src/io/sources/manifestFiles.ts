/** Source: manifest or metadata files the user dropped, or JSON pasted into the form. */
import type { JobSource } from '../../core/job';
import type { SourceRequest } from '../../core/protocol';

export function manifestSources(req: Extract<SourceRequest, { kind: 'manifest' }>): JobSource[] {
  if (req.files.length > 0) return req.files.map((f) => ({ ...f, role: 'manifest' }));
  return [{ name: 'pasted JSON', content: req.text, role: 'manifest' }];
}
