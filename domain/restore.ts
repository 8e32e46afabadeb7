/** One failed statement reported by pg_restore, with the command that failed when given. */
export interface RestoreError {
  message: string
  command: string | null
  /** True when the server rejected a statement; false for connection and file errors. */
  fromQuery: boolean
}

export interface RestoreErrorReport {
  /** Errors that leave the restored data complete, such as an existing schema. */
  ignorable: RestoreError[]
  /** Errors that mean objects or rows are missing from the restored database. */
  fatal: RestoreError[]
}

/**
 * Rules for pg_restore errors that do not lose data. Each matches the server's message and,
 * where the message alone is ambiguous, the kind of command that raised it.
 */
const IGNORABLE_RULES: { message: RegExp; command?: RegExp }[] = [
  // The target already has the schema or extension, created by a template or a provisioner.
  { message: /^schema ".+" already exists$/, command: /^CREATE SCHEMA\b/ },
  { message: /^extension ".+" already exists$/, command: /^CREATE EXTENSION\b/ },
  // A non-superuser restoring cannot comment on extensions it does not own, such as plpgsql.
  { message: /^must be owner of extension .+$/, command: /^COMMENT ON EXTENSION\b/ },
  // Ownership and grants name roles of the source server that the target may lack.
  { message: /^role ".+" does not exist$/, command: /^(ALTER .+ OWNER TO|GRANT|REVOKE)\b/ },
]

/**
 * Splits pg_restore's stderr into ignorable and fatal errors. pg_restore exits 1 whenever any
 * statement failed, so its status alone cannot tell a missing comment from a missing table.
 */
export function classifyRestoreErrors(stderr: string): RestoreErrorReport {
  const errors = parseRestoreErrors(stderr)
  const report: RestoreErrorReport = { ignorable: [], fatal: [] }

  for (const error of errors) {
    const ignorable = IGNORABLE_RULES.some(
      (rule) =>
        rule.message.test(error.message) &&
        (rule.command === undefined || (error.command !== null && rule.command.test(error.command))),
    )
    report[ignorable ? 'ignorable' : 'fatal'].push(error)
  }

  return report
}

/** Parses `pg_restore: error: ...` lines and the `Command was:` line that may follow each. */
export function parseRestoreErrors(stderr: string): RestoreError[] {
  const lines = stderr.split('\n')
  const errors: RestoreError[] = []

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? ''
    const match = /^pg_restore: error: (.*)$/.exec(line)
    if (!match?.[1]) continue

    const queryError = /^could not execute query: ERROR:\s+(.*)$/.exec(match[1])
    const message = queryError?.[1] ?? match[1]
    const next = lines[index + 1] ?? ''
    const command = next.startsWith('Command was: ') ? next.slice('Command was: '.length).trim() : null

    errors.push({ message: message.trim(), command, fromQuery: queryError !== null })
  }

  return errors
}

