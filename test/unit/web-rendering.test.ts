import { describe, expect, it } from 'vitest'
import { formatBytes, temporalUiLink } from '../../web/format'
import { GenericTable } from '../../web/pages/ops-status'

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

  it('renders any report items as a table', () => {
    const html = String(GenericTable({ items: [{ documentId: 'd1', endsOn: '2033-08-31' }, { documentId: 'd2', legalHold: true, reason: '<script>' }], total: 2 }))

    expect(html).toContain('<th scope="col">documentId</th><th scope="col">endsOn</th><th scope="col">legalHold</th><th scope="col">reason</th>')
    expect(html).toContain('<td>d1</td><td>2033-08-31</td><td>—</td><td>—</td>')
    expect(html).toContain('<td>d2</td><td>—</td><td>true</td><td>&lt;script&gt;</td>')
    expect(html).toContain('2 items in total.')
  })
})
