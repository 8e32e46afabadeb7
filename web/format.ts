/** Formats a byte count for people, in binary units. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** Formats how long ago an ISO time was, such as "3 h 5 min ago". */
export function formatAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—'
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60_000))
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`
  return `${Math.floor(hours / 24)} days ago`
}

/** Formats an ISO time as UTC to the minute, such as "2026-12-04 02:00 UTC". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

/**
 * Builds the Temporal UI address of a workflow run. Without a run id it opens the workflow
 * list filtered to that workflow id, which shows every run of it.
 */
export function temporalUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string | null): string {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`
  if (runId) return `${base}/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`
  return `${base}?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`
}
