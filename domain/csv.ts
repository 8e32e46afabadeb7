/** Field delimiters an uploaded CSV file may use, in the order that breaks a tie. */
export const CSV_DELIMITERS = [',', ';', '\t'] as const
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number]

/** Names of the delimiters for messages, where a tab character would be invisible. */
export const DELIMITER_NAMES: Record<CsvDelimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' }

/**
 * Picks the delimiter that occurs most often outside double quotes in the header line, or
 * null when none of them occurs. Column names do not contain delimiters, so the header is
 * the one line where counting them is reliable.
 */
export function detectDelimiter(headerLine: string): CsvDelimiter | null {
  const counts = new Map<string, number>()
  let quoted = false

  for (const character of headerLine) {
    if (character === '"') quoted = !quoted
    else if (!quoted) counts.set(character, (counts.get(character) ?? 0) + 1)
  }

  let best: CsvDelimiter | null = null
  for (const delimiter of CSV_DELIMITERS) {
    const count = counts.get(delimiter) ?? 0
    if (count > 0 && count > (best === null ? 0 : (counts.get(best) ?? 0))) best = delimiter
  }
  return best
}
