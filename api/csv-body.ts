import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream } from 'node:stream/web'
import { CsvError, parse, type Info } from 'csv-parse'
import { HTTPException } from 'hono/http-exception'
import { CSV_DELIMITERS, DELIMITER_NAMES, detectDelimiter, type CsvDelimiter } from '../domain/csv'
import { findInvalidUtf8, incompleteTailLength } from '../domain/utf8'
import { ValidationError } from './errors'

/** One parsed CSV record and the file line it starts on (the first line is 1). */
export interface CsvRecord {
  cells: string[]
  line: number
}

/** Bytes and line breaks decoded so far, for error positions. */
interface DecodePosition {
  bytes: number
  lines: number
  /** Up to the last 3 bytes decoded, which may contain the start of a character the chunk cut off. */
  recent: Uint8Array
}

function countLineFeeds(bytes: Uint8Array, end: number): number {
  let count = 0
  for (let index = 0; index < end; index++) {
    if (bytes[index] === 0x0a) count++
  }
  return count
}

function countNewlines(text: string): number {
  let count = 0
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count++
  return count
}

function concatBytes(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length)
  joined.set(first)
  joined.set(second, first.length)
  return joined
}

function invalidUtf8(position: DecodePosition, chunk: Uint8Array): ValidationError {
  // The decoder may have buffered the start of a character from the previous chunk, so the
  // search starts at that character, which is a character boundary.
  const pending = position.recent.subarray(position.recent.length - incompleteTailLength(position.recent))
  const bytes = concatBytes(pending, chunk)
  const local = Math.max(findInvalidUtf8(bytes), 0)
  const offset = position.bytes - pending.length + local
  const line = position.lines + countLineFeeds(bytes, local) + 1
  const byte = (bytes[local] ?? 0).toString(16).toUpperCase().padStart(2, '0')

  const utf16 = offset === 0 && (byte === 'FF' || byte === 'FE')
  const hint = utf16 ? 'it looks like UTF-16, so save it as UTF-8' : 'save the file as UTF-8 (in Excel, "CSV UTF-8")'
  return new ValidationError({ body: `is not valid UTF-8: byte 0x${byte} at offset ${offset} (counting from 0) on line ${line} does not start a valid UTF-8 sequence; ${hint}` })
}

function cutOffUtf8(position: DecodePosition): ValidationError {
  const offset = position.bytes - incompleteTailLength(position.recent)
  return new ValidationError({ body: `is not valid UTF-8: it ends inside a character that starts at byte offset ${offset} (counting from 0) on line ${position.lines + 1}` })
}

/** Builds the 413 for a body over `maxBytes`. */
export function bodyTooLarge(maxBytes: number): HTTPException {
  const mebibytes = Number((maxBytes / 1024 / 1024).toFixed(2))
  return new HTTPException(413, { message: `the file is larger than the limit of ${mebibytes} MiB (${maxBytes} bytes); split it into smaller files` })
}

function keepRecentBytes(recent: Uint8Array, chunk: Uint8Array): Uint8Array {
  return chunk.length >= 3 ? chunk.slice(-3) : concatBytes(recent, chunk).slice(-3)
}

/**
 * Decodes a byte stream as UTF-8 with a fatal TextDecoder, which also drops a leading byte
 * order mark. Throws a 413 beyond `maxBytes` and a 400 naming the offset of the first bad byte.
 */
async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const position: DecodePosition = { bytes: 0, lines: 0, recent: new Uint8Array(0) }

  for await (const chunk of chunks) {
    if (position.bytes + chunk.length > maxBytes) throw bodyTooLarge(maxBytes)

    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch {
      throw invalidUtf8(position, chunk)
    }
    position.bytes += chunk.length
    position.lines += countNewlines(text)
    position.recent = keepRecentBytes(position.recent, chunk)
    if (text !== '') yield text
  }

  let rest: string
  try {
    rest = decoder.decode()
  } catch {
    throw cutOffUtf8(position)
  }
  if (rest !== '') yield rest
}

/** Reads decoded text until it contains the first line break or the input ends. */
async function readFirstLine(text: AsyncIterator<string>): Promise<{ head: string; ended: boolean }> {
  let head = ''

  while (!/[\r\n]/.test(head)) {
    const next = await text.next()
    if (next.done) return { head, ended: true }
    head += next.value
  }
  return { head, ended: false }
}

async function* prepend(head: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield head
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
}

function headerDelimiter(head: string, ended: boolean): CsvDelimiter {
  if (ended && head === '') throw new ValidationError({ body: 'is empty; send a header line and then one line per student' })

  const headerLine = head.split(/\r\n|\r|\n/, 1)[0] ?? ''
  if (headerLine.trim() === '') throw new ValidationError({ header: 'is missing: line 1 is blank, and the column names must be on line 1' })

  const delimiter = detectDelimiter(headerLine)
  if (delimiter === null) {
    const names = CSV_DELIMITERS.map((candidate) => DELIMITER_NAMES[candidate]).join(', ')
    const excerpt = headerLine.length > 80 ? `${headerLine.slice(0, 80)}…` : headerLine
    throw new ValidationError({ header: `${JSON.stringify(excerpt)} contains no delimiter; separate the column names with one of: ${names}` })
  }
  return delimiter
}

/**
 * Streams the records of a CSV body, the header first. The body must be UTF-8 (a byte order
 * mark is allowed) of at most `maxBytes`, and its delimiter is the one found in the header line.
 * Throws ValidationError (400) for bad bytes or CSV syntax and HTTPException 413 for size.
 */
export async function* readCsvRecords(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncGenerator<CsvRecord> {
  const text = decodeUtf8(Readable.fromWeb(body), maxBytes)
  const { head, ended } = await readFirstLine(text)

  let delimiter: CsvDelimiter
  try {
    delimiter = headerDelimiter(head, ended)
  } catch (error) {
    // Closing the decoder also cancels the request body, which nothing reads any more.
    await text.return(undefined)
    throw error
  }
  const parser = parse({ delimiter, relax_column_count: true, info: true })

  const feeding = pipeline(prepend(head, text), parser)
  // The pipeline rejects with the error that the loop below throws, or with a premature close
  // when the caller stops early. Neither needs reporting a second time, so the rejection is dropped.
  feeding.catch(() => undefined)

  let previousLine = 0
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      yield { cells: record, line: previousLine + 1 }
      previousLine = info.lines
    }
  } catch (error) {
    if (error instanceof CsvError) throw new ValidationError({ body: `is not valid CSV: ${error.message}` })
    throw error
  }
  await feeding
}
