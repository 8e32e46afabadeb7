import { describe, expect, it } from 'vitest'
import { loadedTable, parseArchiveListing } from '../../domain/restore'

// Lines as pg_restore 15 prints them for a dump with an odd table name and schema name.
const LISTING = `;
; Archive created at 2026-12-04 22:20:01 UTC
;     dbname: lt_src
;
3349; 0 144331 TABLE DATA public a postgres
3350; 0 144336 TABLE DATA public b c postgres
3351; 0 144340 TABLE DATA s x t postgres
3206; 2606 144334 CONSTRAINT public a a_pkey postgres
`

describe('pg_restore listing reader', () => {
  it('counts items and keeps each data item', () => {
    const listing = parseArchiveListing(LISTING)

    expect(listing.itemsTotal).toBe(4)
    expect([...listing.tableData]).toEqual([
      [3349, 'public a'],
      [3350, 'public b c'],
      [3351, 's x t'],
    ])
  })

  it('places finished data items by their table name', () => {
    const listing = parseArchiveListing(LISTING)

    expect(loadedTable('pg_restore: finished item 3349 TABLE DATA a', listing)).toEqual({ schema: 'public', table: 'a' })
    expect(loadedTable('pg_restore: finished item 3350 TABLE DATA b c', listing)).toEqual({ schema: 'public', table: 'b c' })
    expect(loadedTable('pg_restore: finished item 3351 TABLE DATA t', listing)).toEqual({ schema: 's x', table: 't' })
  })

  it('ignores other lines and unknown items', () => {
    const listing = parseArchiveListing(LISTING)

    expect(loadedTable('pg_restore: finished item 3206 CONSTRAINT a a_pkey', listing)).toBeNull()
    expect(loadedTable('pg_restore: processing data for table "public.a"', listing)).toBeNull()
    expect(loadedTable('pg_restore: finished item 9999 TABLE DATA a', listing)).toBeNull()
  })
})
