/** One CSV line (RFC 4180): cells with a comma, a quote or a line break quoted, quotes doubled. */
export const csvLine = (cells: unknown[]): string =>
  `${cells
    .map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c)))
    .join(',')}\n`;
