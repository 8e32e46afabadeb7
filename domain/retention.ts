import { DOCUMENT_CATEGORIES, type DocumentCategory } from './documents'

/**
 * Retention classes. Financial and academic periods are the customer's legal minimums and
 * cannot be configured; the `other` categories get configurable periods.
 */
export const RETENTION_CLASSES = ['financial', 'academic', 'other'] as const
export type RetentionClass = (typeof RETENTION_CLASSES)[number]

/**
 * The date a period is counted from. `fiscal-year-end` is the last day of the fiscal year
 * that contains the document date, and `owner-exit` the day the student or staff member
 * left. `none` marks files with no period at all.
 */
export type RetentionAnchor = 'fiscal-year-end' | 'owner-exit' | 'document-date' | 'none'

export interface RetentionRule {
  class: RetentionClass
  /** Whole years; null means no period, so the file may be deleted by hand but is never purged. */
  years: number | null
  anchor: RetentionAnchor
}

export type RetentionRules = Record<DocumentCategory, RetentionRule>

const STATUTORY: Partial<RetentionRules> = {
  payroll: { class: 'financial', years: 7, anchor: 'fiscal-year-end' },
  financial: { class: 'financial', years: 7, anchor: 'fiscal-year-end' },
  'report-card': { class: 'academic', years: 10, anchor: 'owner-exit' },
  certificate: { class: 'academic', years: 10, anchor: 'owner-exit' },
}

/** Categories whose period RETENTION_YEARS may set, with their defaults. */
export const CONFIGURABLE_DEFAULTS = {
  notice: { class: 'other', years: 2, anchor: 'document-date' },
  'student-photo': { class: 'other', years: 1, anchor: 'owner-exit' },
  'staff-photo': { class: 'other', years: 1, anchor: 'owner-exit' },
  sensitive: { class: 'other', years: 10, anchor: 'owner-exit' },
  // Logo files have no retention period: an admin may delete one at any time, and no purge
  // removes one.
  branding: { class: 'other', years: null, anchor: 'none' },
} as const satisfies Partial<RetentionRules>
export type ConfigurableCategory = keyof typeof CONFIGURABLE_DEFAULTS

export const CONFIGURABLE_CATEGORIES = Object.keys(CONFIGURABLE_DEFAULTS) as ConfigurableCategory[]

/** Builds the full rule table, with configured years in place of the defaults. */
export function retentionRules(years: Partial<Record<ConfigurableCategory, number>> = {}): RetentionRules {
  const rules = {} as RetentionRules
  for (const category of DOCUMENT_CATEGORIES) {
    const base = STATUTORY[category] ?? CONFIGURABLE_DEFAULTS[category as ConfigurableCategory]
    const configured = years[category as ConfigurableCategory]
    rules[category] = configured === undefined ? { ...base } : { ...base, years: configured, anchor: base.anchor === 'none' ? 'document-date' : base.anchor }
  }
  return rules
}

/** Facts about one document that the rules read; dates are `YYYY-MM-DD`. */
export interface RetentionFacts {
  category: DocumentCategory
  ownerType: 'school' | 'student' | 'staff'
  documentDate: string
  /** The student's or staff member's leaving date; null while they are still at the school. */
  ownerExitDate: string | null
  fiscalYearStartMonth: number
  legalHold: boolean
}

export type RetentionStatus = 'kept' | 'expired' | 'held'

export interface RetentionVerdict {
  class: RetentionClass
  status: RetentionStatus
  /** The date the period is counted from, or null when it has not happened yet. */
  anchorDate: string | null
  /** The first day the document may be deleted; null while that day is not known. */
  endsOn: string | null
  /** The rule in words, for 409 responses, reports and purge records. */
  rule: string
  /** Whether a person may delete it now: expired, or under no period, and not held. */
  deletable: boolean
}

/**
 * Judges one document on `today`: `held` under a legal hold at any age, `expired` from the
 * day its retention ends, else `kept`. A file owned by the school has no leaving date, so an
 * owner-exit rule counts from its document date instead.
 */
export function judgeRetention(facts: RetentionFacts, rules: RetentionRules, today: string): RetentionVerdict {
  const rule = rules[facts.category]
  const anchorDate = anchorOf(rule, facts)
  const endsOn = rule.years === null || anchorDate === null ? null : endOf(rule, anchorDate, rule.years)
  const words = describeRule(rule, facts.ownerType)
  let status: RetentionStatus = endsOn !== null && today >= endsOn ? 'expired' : 'kept'
  if (facts.legalHold) status = 'held'
  const deletable = status === 'expired' || (status === 'kept' && rule.years === null)
  return { class: rule.class, status, anchorDate, endsOn, rule: words, deletable }
}

function anchorOf(rule: RetentionRule, facts: RetentionFacts): string | null {
  switch (rule.anchor) {
    case 'none':
      return null
    case 'document-date':
      return facts.documentDate
    case 'owner-exit':
      return facts.ownerType === 'school' ? facts.documentDate : facts.ownerExitDate
    case 'fiscal-year-end':
      return fiscalYearEnd(facts.documentDate, facts.fiscalYearStartMonth)
  }
}

// A fiscal year's last day counts whole, so its period ends the day after the anniversary.
function endOf(rule: RetentionRule, anchorDate: string, years: number): string {
  const anniversary = addYears(anchorDate, years)
  return rule.anchor === 'fiscal-year-end' ? addDays(anniversary, 1) : anniversary
}

function describeRule(rule: RetentionRule, ownerType: RetentionFacts['ownerType']): string {
  if (rule.years === null) return `${rule.class}: no retention period; kept until deleted by hand`
  const period = `${rule.years} ${rule.years === 1 ? 'year' : 'years'}`
  const from = {
    'fiscal-year-end': 'the end of the fiscal year of the document date',
    'owner-exit': ownerType === 'school' ? 'the document date' : `the ${ownerType === 'staff' ? 'staff member' : 'student'}'s leaving date`,
    'document-date': 'the document date',
    none: '',
  }[rule.anchor]
  return `${rule.class}: ${period} from ${from}`
}

/** Students' own rows, with their enrolments, are academic records kept from their leaving date. */
export const STUDENT_RECORD_RULE: RetentionRule = { class: 'academic', years: 10, anchor: 'owner-exit' }

/**
 * Judges a student's own record on `today`: it expires 10 years after the leaving date and
 * is held while any of the student's documents is under a legal hold.
 */
export function judgeStudentRecord(student: { leftOn: string | null; documentsHeld: boolean }, today: string): RetentionVerdict {
  const rule = STUDENT_RECORD_RULE
  const endsOn = student.leftOn === null ? null : addYears(student.leftOn, rule.years!)
  let status: RetentionStatus = endsOn !== null && today >= endsOn ? 'expired' : 'kept'
  if (student.documentsHeld) status = 'held'
  return { class: rule.class, status, anchorDate: student.leftOn, endsOn, rule: describeRule(rule, 'student'), deletable: status === 'expired' }
}

/**
 * Returns the start of the day a financial document's retention ends, for locking its file
 * in storage. Other classes get null, because their end dates may still move (a leaving date
 * is set later, a period is configured) and a lock cannot be shortened.
 */
export function financialLockUntil(category: DocumentCategory, documentDate: string, fiscalYearStartMonth: number, rules: RetentionRules): Date | null {
  if (rules[category].class !== 'financial') return null
  const verdict = judgeRetention({ category, ownerType: 'school', documentDate, ownerExitDate: null, fiscalYearStartMonth, legalHold: false }, rules, documentDate)
  return verdict.endsOn === null ? null : new Date(`${verdict.endsOn}T00:00:00Z`)
}

/** Returns the last day of the fiscal year that contains `date`. */
export function fiscalYearEnd(date: string, startMonth: number): string {
  const [year, month] = date.split('-').map(Number) as [number, number]
  const startYear = month >= startMonth ? year : year - 1
  const nextStart = `${startYear + 1}-${String(startMonth).padStart(2, '0')}-01`
  return addDays(nextStart, -1)
}

/**
 * Adds whole years to a `YYYY-MM-DD` date. 29 February moves to 1 March in a year without
 * it, the later of the two candidate days, so a period never ends early.
 */
export function addYears(date: string, years: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const result = new Date(Date.UTC(year + years, month - 1, day))
  return result.toISOString().slice(0, 10)
}

export function addDays(date: string, days: number): string {
  const result = new Date(`${date}T00:00:00Z`)
  result.setUTCDate(result.getUTCDate() + days)
  return result.toISOString().slice(0, 10)
}

/**
 * Parses RETENTION_YEARS, such as `notice=2,sensitive=12`. Throws an Error naming the entry
 * when a category is unknown, statutory or given a period outside 1 to 100 years.
 */
export function parseRetentionYears(text: string): Partial<Record<ConfigurableCategory, number>> {
  const years: Partial<Record<ConfigurableCategory, number>> = {}
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [name, value] = entry.split('=').map((part) => part.trim())
    if (!name || !CONFIGURABLE_CATEGORIES.includes(name as ConfigurableCategory)) {
      throw new Error(`"${entry}": the category must be one of ${CONFIGURABLE_CATEGORIES.join(', ')}; financial and academic periods are fixed`)
    }
    const count = Number(value)
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error(`"${entry}": the period must be a whole number of years from 1 to 100`)
    years[name as ConfigurableCategory] = count
  }
  return years
}
