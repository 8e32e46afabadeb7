import { describe, expect, it } from 'vitest'
import { formatBytes, temporalUiLink } from '../../web/format'
import { RetentionTable } from '../../web/pages/ops'

describe('web rendering', () => {
  it('links a run to the Temporal UI', () => {
    expect(temporalUiLink('http://127.0.0.1:8233', 'default', 'dr-restore', 'a1b2')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/dr-restore/a1b2/history')
    expect(temporalUiLink('https://ui.example', 'ns', 'backup-x-2026')).toBe('https://ui.example/namespaces/ns/workflows?query=WorkflowId%3D%22backup-x-2026%22')
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(null)).toBe('—')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB')
  })

  it('renders the retention report escaped', () => {
    const item = { documentId: 'd1', category: 'notice', class: 'other', rule: 'other: <b>2 years</b>', anchorDate: '2001-01-15', endsOn: '2003-01-15', sizeBytes: 10 }
    const html = String(RetentionTable({ report: { asOf: '2026-12-04', items: [item], nextCursor: 'd1', scanned: 40 } }))

    expect(html).toContain('As of 2026-12-04, 1 of the 40 documents read on this page would be purged.')
    expect(html).toContain('<td>other: &lt;b&gt;2 years&lt;/b&gt;</td><td>2001-01-15</td><td>2003-01-15</td>')
    expect(html).toContain('href="/app/ops/retention?cursor=d1"')
  })
})
