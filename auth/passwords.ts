import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// scrypt with N = 2^15 and r = 8 needs 32 MiB per hash (128 * N * r bytes), which makes
// guessing with GPUs expensive. The parameters are stored with each hash so they can grow.
const COST = 2 ** 15
const BLOCK_SIZE = 8
const PARALLELISM = 1
const KEY_LENGTH = 32
const MAX_MEMORY = 64 * 1024 * 1024

/**
 * Cost for passwords made of 24 random bytes (192 bits) by the code itself, such as the DR
 * verification accounts'. Guessing such a password is out of reach at any cost. The full cost
 * protects passwords people choose, and here it would add 12 hashes of about 90 ms to a DR run.
 */
export const GENERATED_PASSWORD_COST = 2 ** 12

function derive(password: string, salt: Buffer, options: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...options, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

/**
 * Hashes a password as `scrypt$N$r$p$salt$key`, with salt and key in base64. Only passwords the
 * code generated may pass a lower `cost` (N).
 */
export async function hashPassword(password: string, cost: number = COST): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, { N: cost, r: BLOCK_SIZE, p: PARALLELISM }, KEY_LENGTH)
  return ['scrypt', cost, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$')
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, blockSize, parallelism, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false

  const expected = Buffer.from(key, 'base64')
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { N: Number(cost), r: Number(blockSize), p: Number(parallelism) },
    expected.length,
  )
  return timingSafeEqual(actual, expected)
}

// A hash of a random password, compared against when the account does not exist, so a
// login for an unknown email takes as long as one with a wrong password.
export const DUMMY_PASSWORD_HASH = await hashPassword(randomBytes(16).toString('hex'))
