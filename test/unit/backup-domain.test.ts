import { describe, expect, it } from 'vitest'
import {
  backupIdFromManifestKey,
  backupIdFromWorkflowId,
  backupObjectKey,
  compareRowCounts,
  describeMismatches,
  dumpIncompatibility,
  manifestKeyFor,
  postgresMajorVersion,
} from '../../domain/backup'
import { manualBackupWorkflowId } from '../../domain/workflow-ids'

describe('backupObjectKey', () => {
  it('dates the key by the UTC start day', () => {
    const key = backupObjectKey({
      database: 'school_ops',
      backupId: 'backup-school_ops-2026-12-31T23-30-00Z',
      startedAt: new Date('2026-12-31T23:30:00Z'),
      format: 'custom',
    })

    expect(key).toBe('backups/school_ops/2026/12/31/backup-school_ops-2026-12-31T23-30-00Z.dump')
  })

  it('gives plain backups the .sql extension', () => {
    const key = backupObjectKey({ database: 'db', backupId: 'b', startedAt: new Date('2026-01-02T00:00:00Z'), format: 'plain' })

    expect(key).toBe('backups/db/2026/01/02/b.sql')
  })
})

describe('backup ids', () => {
  it('turns a scheduled workflow id into a key-safe id', () => {
    expect(backupIdFromWorkflowId('backup-school_ops-2026-12-04T02:00:00Z')).toBe('backup-school_ops-2026-12-04T02-00-00Z')
  })

  it('drops milliseconds from manual workflow ids', () => {
    expect(manualBackupWorkflowId('db', new Date('2026-12-04T10:02:08.707Z'))).toBe('backup-db-manual-2026-12-04T10:02:08Z')
  })

  it('recovers the backup id from its manifest key', () => {
    const objectKey = 'backups/db/2026/12/04/backup-db-2026-12-04T02-00-00Z.dump'

    expect(backupIdFromManifestKey(manifestKeyFor(objectKey))).toBe('backup-db-2026-12-04T02-00-00Z')
  })
})

describe('compareRowCounts', () => {
  it('finds no mismatch in equal counts', () => {
    const counts = [{ table: 'public.student', rows: 3 }]

    expect(compareRowCounts(counts, [...counts])).toEqual([])
  })

  it('reports changed, missing and extra tables', () => {
    const source = [
      { table: 'public.student', rows: 3 },
      { table: 'public.guardian', rows: 2 },
    ]
    const restored = [
      { table: 'public.student', rows: 2 },
      { table: 'public.extra', rows: 1 },
    ]

    const mismatches = compareRowCounts(source, restored)

    expect(mismatches).toEqual([
      { table: 'public.student', expected: 3, actual: 2 },
      { table: 'public.guardian', expected: 2, actual: null },
      { table: 'public.extra', expected: null, actual: 1 },
    ])
    expect(describeMismatches(mismatches)).toContain('public.guardian expected 2, restored absent')
  })
})

describe('pg_dump compatibility', () => {
  it('reads major versions from tool and server output', () => {
    expect(postgresMajorVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)')).toBe(15)
    expect(postgresMajorVersion('16.4 (Debian 16.4-1.pgdg120+2)')).toBe(16)
  })

  it('accepts a pg_dump as new as the server or newer', () => {
    expect(dumpIncompatibility(15, 15)).toBeNull()
    expect(dumpIncompatibility(17, 15)).toBeNull()
  })

  it('rejects a pg_dump older than the server', () => {
    expect(dumpIncompatibility(15, 17)).toBe(
      'pg_dump 15 cannot dump a PostgreSQL 17 server; install the PostgreSQL 17 client tools on the worker',
    )
  })
})
