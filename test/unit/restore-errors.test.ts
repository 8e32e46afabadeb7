import { describe, expect, it } from 'vitest'
import { classifyRestoreErrors, parseRestoreErrors } from '../../domain/restore'

// Captured from pg_restore 15 restoring into a database whose template had both objects.
const EXISTING_OBJECTS = `pg_restore: error: could not execute query: ERROR:  schema "extra" already exists
Command was: CREATE SCHEMA extra;


pg_restore: error: could not execute query: ERROR:  relation "clash" already exists
Command was: CREATE TABLE public.clash (
    id integer
);


pg_restore: warning: errors ignored on restore: 2
`

describe('parseRestoreErrors', () => {
  it('reads each error with the command that raised it', () => {
    const errors = parseRestoreErrors(EXISTING_OBJECTS)

    expect(errors).toEqual([
      { message: 'schema "extra" already exists', command: 'CREATE SCHEMA extra;', fromQuery: true },
      { message: 'relation "clash" already exists', command: 'CREATE TABLE public.clash (', fromQuery: true },
    ])
  })

  it('marks errors that did not come from a statement', () => {
    const [error] = parseRestoreErrors('pg_restore: error: connection to server at "127.0.0.1", port 5432 failed\n')

    expect(error?.fromQuery).toBe(false)
    expect(error?.command).toBeNull()
  })
})

describe('classifyRestoreErrors', () => {
  it('ignores an existing schema but not an existing table', () => {
    const report = classifyRestoreErrors(EXISTING_OBJECTS)

    expect(report.ignorable.map((error) => error.message)).toEqual(['schema "extra" already exists'])
    expect(report.fatal.map((error) => error.message)).toEqual(['relation "clash" already exists'])
  })

  it('ignores missing owner roles only on ownership and grants', () => {
    const stderr = [
      'pg_restore: error: could not execute query: ERROR:  role "pagila_owner" does not exist',
      'Command was: ALTER TABLE public.film OWNER TO pagila_owner;',
      'pg_restore: error: could not execute query: ERROR:  role "reporting" does not exist',
      'Command was: CREATE POLICY p ON public.film TO reporting USING (true);',
    ].join('\n')

    const report = classifyRestoreErrors(stderr)

    expect(report.ignorable).toHaveLength(1)
    expect(report.fatal.map((error) => error.command)).toEqual(['CREATE POLICY p ON public.film TO reporting USING (true);'])
  })

  it('ignores a comment on an extension it does not own', () => {
    const stderr = [
      'pg_restore: error: could not execute query: ERROR:  must be owner of extension plpgsql',
      "Command was: COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';",
    ].join('\n')

    expect(classifyRestoreErrors(stderr).ignorable).toHaveLength(1)
  })

  it('treats a clean restore as having no errors', () => {
    const report = classifyRestoreErrors('')

    expect(report.ignorable).toEqual([])
    expect(report.fatal).toEqual([])
  })
})
