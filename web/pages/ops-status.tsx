import { formatTime } from '../format'

type Loose = Record<string, unknown> & { status?: string }

/** Renders the ops status at a glance: one line per operation, then the firing alerts. */
export function StatusTable(props: { status: Record<string, unknown> }) {
  const status = props.status as {
    checkedAt: string
    backups?: { databases?: (Loose & { database: string; lastVerified?: { ageHours: number } | null })[] }
    mirror?: Loose & { lastGood?: { ageMinutes: number } | null }
    retention?: Loose
    dr?: Loose & { stage?: string | null }
    uptime?: Loose & { consecutiveFailures?: number }
    alerts?: { kind: string; severity: string; message: string; firedAt: string }[]
  }
  const databases = status.backups?.databases ?? []
  return (
    <>
      <p>Checked at {formatTime(status.checkedAt)}.</p>
      <dl>
        {databases.map((database) => (
          <>
            <dt>Backups of {database.database}</dt>
            <dd>{`${database.status}; newest verified ${database.lastVerified ? `${database.lastVerified.ageHours} h ago` : 'none'}`}</dd>
          </>
        ))}
        <dt>Mirror</dt>
        <dd>{`${status.mirror?.status ?? 'unknown'}${status.mirror?.lastGood ? `; last good run ${status.mirror.lastGood.ageMinutes} min ago` : ''}`}</dd>
        <dt>Retention</dt>
        <dd>{status.retention?.status ?? 'unknown'}</dd>
        <dt>Disaster recovery</dt>
        <dd>{`${status.dr?.status ?? 'unknown'}${status.dr?.stage ? ` at stage ${status.dr.stage}` : ''}`}</dd>
        <dt>Uptime</dt>
        <dd>{`${status.uptime?.status ?? 'unknown'}; ${status.uptime?.consecutiveFailures ?? 0} failures in a row`}</dd>
      </dl>
      <h2>Firing alerts</h2>
      {(status.alerts ?? []).length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {(status.alerts ?? []).map((alert) => (
            <li>{`${alert.severity} ${alert.kind}: ${alert.message} (since ${formatTime(alert.firedAt)})`}</li>
          ))}
        </ul>
      )}
    </>
  )
}
