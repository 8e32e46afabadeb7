import type { Sql } from '../data/db'

// Categories the generated documents cycle through; each has a different rule and anchor.
const CATEGORIES = ['notice', 'payroll', 'certificate', 'financial', 'report-card']

/**
 * Inserts `count` school-owned documents without files, dated one day apart from 2000-01-01
 * in a 9,000-day cycle, so about half have expired by 2026 and the rest have not.
 */
export async function seedRetentionDocuments(sql: Sql, schoolId: string, count: number): Promise<void> {
  const chunk = 200_000
  for (let start = 0; start < count; start += chunk) {
    const end = Math.min(count, start + chunk) - 1
    await sql`
      INSERT INTO document (school_id, category, owner_type, title, document_date)
      SELECT ${schoolId}, (${CATEGORIES}::text[])[1 + i % 5], 'school', 'generated ' || i, DATE '2000-01-01' + (i % 9000)
        FROM generate_series(${start}::int, ${end}::int) AS i`
  }
  await sql`ANALYZE document`
}

/**
 * Counts the generated documents expired on `asOf` in plain SQL, independently of the rules
 * in TypeScript: fiscal years start in January, and school-owned academic records count
 * from their document date.
 */
export async function countExpiredInSql(sql: Sql, schoolId: string, asOf: string): Promise<number> {
  const [row] = await sql<{ count: string }[]>`
    SELECT count(*) FROM document
     WHERE school_id = ${schoolId} AND NOT legal_hold AND (
           (category = 'notice' AND document_date + interval '2 years' <= ${asOf}::date)
        OR (category IN ('payroll', 'financial') AND make_date(extract(year FROM document_date)::int + 8, 1, 1) <= ${asOf}::date)
        OR (category IN ('certificate', 'report-card') AND document_date + interval '10 years' <= ${asOf}::date))`
  return Number(row?.count)
}
