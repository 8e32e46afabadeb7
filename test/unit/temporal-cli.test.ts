import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureGoTool, TEMPORAL_CLI_MODULE } from '../../scripts/temporal-cli'

describe('ensureGoTool', () => {
  const saved = { ...process.env }
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'go-tool-'))
    process.env.SCHOOL_OPS_CACHE_DIR = join(dir, 'cache')
    process.env.PATH = join(dir, 'empty-path')
    delete process.env.TEMPORAL_CLI_PATH
  })

  afterEach(async () => {
    process.env = { ...saved }
    await rm(dir, { recursive: true, force: true })
  })

  const temporal = { name: 'temporal', module: TEMPORAL_CLI_MODULE, overrideVariable: 'TEMPORAL_CLI_PATH' }

  it('explains how to install when neither the tool nor Go exists', () => {
    expect(() => ensureGoTool(temporal)).toThrow(/Go is not installed to build it\. Install Go .*go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/)
  })

  it('prefers the override variable', async () => {
    const binary = join(dir, 'my-temporal')
    await writeFile(binary, '#!/bin/sh\n')
    await chmod(binary, 0o755)
    process.env.TEMPORAL_CLI_PATH = binary

    expect(ensureGoTool(temporal)).toBe(binary)
  })

  it('rejects an override that is not executable', () => {
    process.env.TEMPORAL_CLI_PATH = join(dir, 'missing')

    expect(() => ensureGoTool(temporal)).toThrow('TEMPORAL_CLI_PATH=')
  })

  it('uses a binary already in the cache', async () => {
    const cacheBin = join(dir, 'cache', 'bin')
    await mkdir(cacheBin, { recursive: true })
    await writeFile(join(cacheBin, 'temporal'), '#!/bin/sh\n')
    await chmod(join(cacheBin, 'temporal'), 0o755)

    expect(ensureGoTool(temporal)).toBe(join(cacheBin, 'temporal'))
  })
})
