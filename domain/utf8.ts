// Locating bad bytes in UTF-8 input. TextDecoder with `fatal: true` rejects ill-formed input
// but does not say where, so these helpers find the offset for the error message.

/** Returns the sequence length and the range of its second byte for a lead byte, or null. */
function leadByteRule(lead: number): { length: number; low: number; high: number } | null {
  // The well-formed UTF-8 sequences. The narrower second-byte ranges after E0, ED, F0 and F4
  // exclude overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, low: 0x80, high: 0xbf }
  if (lead === 0xe0) return { length: 3, low: 0xa0, high: 0xbf }
  if (lead === 0xed) return { length: 3, low: 0x80, high: 0x9f }
  if (lead >= 0xe1 && lead <= 0xef) return { length: 3, low: 0x80, high: 0xbf }
  if (lead === 0xf0) return { length: 4, low: 0x90, high: 0xbf }
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 4, low: 0x80, high: 0xbf }
  if (lead === 0xf4) return { length: 4, low: 0x80, high: 0x8f }
  return null
}

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80

/** Returns the length of the well-formed sequence at `start`, or 0 when it is ill-formed or cut off. */
function sequenceLength(bytes: Uint8Array, start: number): number {
  const lead = bytes[start] ?? 0
  if (lead < 0x80) return 1

  const rule = leadByteRule(lead)
  if (!rule || start + rule.length > bytes.length) return 0

  const second = bytes[start + 1] ?? 0
  if (second < rule.low || second > rule.high) return 0
  for (let index = start + 2; index < start + rule.length; index++) {
    if (!isContinuation(bytes[index] ?? 0)) return 0
  }
  return rule.length
}

/**
 * Returns the offset of the first byte of the first ill-formed or cut-off UTF-8 sequence, or
 * -1 when every sequence is well-formed. `bytes` must start at a character boundary.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let offset = 0

  while (offset < bytes.length) {
    const length = sequenceLength(bytes, offset)
    if (length === 0) return offset
    offset += length
  }
  return -1
}

/**
 * Returns how many bytes at the end of well-formed input start a character that the input
 * does not finish (0 to 3): the bytes a streaming decoder holds back for the next chunk.
 */
export function incompleteTailLength(bytes: Uint8Array): number {
  const lookBack = Math.min(3, bytes.length)

  for (let back = 1; back <= lookBack; back++) {
    const byte = bytes[bytes.length - back] ?? 0
    if (isContinuation(byte)) continue
    const rule = leadByteRule(byte)
    return rule && rule.length > back ? back : 0
  }
  return 0
}
