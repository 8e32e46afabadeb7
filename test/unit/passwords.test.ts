import { describe, expect, it } from 'vitest'
import { GENERATED_PASSWORD_COST, hashPassword, verifyPassword } from '../../auth/passwords'

describe('password hashing', () => {
  it('hashes chosen passwords at full cost', async () => {
    const hash = await hashPassword('correct horse battery')

    expect(hash.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1'])
    expect(await verifyPassword('correct horse battery', hash)).toBe(true)
    expect(await verifyPassword('correct horse battery!', hash)).toBe(false)
  })

  it('hashes generated passwords at lower cost', async () => {
    const hash = await hashPassword('generated-random-secret', GENERATED_PASSWORD_COST)

    expect(hash.split('$')[1]).toBe(String(GENERATED_PASSWORD_COST))
    expect(GENERATED_PASSWORD_COST).toBeLessThan(32768)
    expect(await verifyPassword('generated-random-secret', hash)).toBe(true)
    expect(await verifyPassword('generated-random-secreT', hash)).toBe(false)
  })

  it('rejects a malformed stored hash', async () => {
    expect(await verifyPassword('anything', 'bcrypt$12$abc')).toBe(false)
    expect(await verifyPassword('anything', 'scrypt$32768$8$1')).toBe(false)
  })
})
