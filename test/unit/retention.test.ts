import { describe, expect, it } from 'vitest'
import { addYears, fiscalYearEnd, judgeRetention, judgeStudentRecord, parseRetentionYears, retentionRules, type RetentionFacts } from '../../domain/retention'

const rules = retentionRules()

function facts(overrides: Partial<RetentionFacts>): RetentionFacts {
  return { category: 'payroll', ownerType: 'school', documentDate: '2019-05-10', ownerExitDate: null, fiscalYearStartMonth: 1, legalHold: false, ...overrides }
}

describe('financial retention', () => {
  it('counts 7 years from the fiscal year end', () => {
    const verdict = judgeRetention(facts({}), rules, '2026-12-31')
    expect(verdict.class).toBe('financial')
    expect(verdict.anchorDate).toBe('2019-12-31')
    expect(verdict.endsOn).toBe('2027-01-01')
    expect(verdict.status).toBe('kept')
  })

  it('expires on the boundary day, not before', () => {
    expect(judgeRetention(facts({}), rules, '2026-12-31').status).toBe('kept')
    expect(judgeRetention(facts({}), rules, '2027-01-01').status).toBe('expired')
  })

  it('follows a fiscal year starting in April', () => {
    const early = judgeRetention(facts({ documentDate: '2019-03-31', fiscalYearStartMonth: 4 }), rules, '2030-01-01')
    const late = judgeRetention(facts({ documentDate: '2019-04-01', fiscalYearStartMonth: 4 }), rules, '2030-01-01')
    expect(early.anchorDate).toBe('2019-03-31')
    expect(early.endsOn).toBe('2026-04-01')
    expect(late.anchorDate).toBe('2020-03-31')
    expect(late.endsOn).toBe('2027-04-01')
  })

  it('ends a leap-day fiscal year a day after the anniversary', () => {
    // A fiscal year starting in March ends on 29 February in a leap year.
    const verdict = judgeRetention(facts({ category: 'financial', documentDate: '2019-06-01', fiscalYearStartMonth: 3 }), rules, '2020-01-01')
    expect(verdict.anchorDate).toBe('2020-02-29')
    expect(verdict.endsOn).toBe('2027-03-02')
  })
})

describe('academic retention', () => {
  it('counts 10 years from the leaving date', () => {
    const verdict = judgeRetention(facts({ category: 'report-card', ownerType: 'student', ownerExitDate: '2015-06-30' }), rules, '2025-06-30')
    expect(verdict.class).toBe('academic')
    expect(verdict.endsOn).toBe('2025-06-30')
    expect(verdict.status).toBe('expired')
    expect(judgeRetention(facts({ category: 'report-card', ownerType: 'student', ownerExitDate: '2015-06-30' }), rules, '2025-06-29').status).toBe('kept')
  })

  it('keeps a current student\'s records with no end date', () => {
    const verdict = judgeRetention(facts({ category: 'certificate', ownerType: 'student', ownerExitDate: null }), rules, '2090-01-01')
    expect(verdict.status).toBe('kept')
    expect(verdict.endsOn).toBeNull()
    expect(verdict.rule).toBe("academic: 10 years from the student's leaving date")
  })

  it('moves a 29 February anniversary to 1 March', () => {
    const verdict = judgeRetention(facts({ category: 'certificate', ownerType: 'student', ownerExitDate: '2016-02-29' }), rules, '2026-02-28')
    expect(verdict.endsOn).toBe('2026-03-01')
    expect(verdict.status).toBe('kept')
  })

  it('counts a school-owned certificate from its date', () => {
    const verdict = judgeRetention(facts({ category: 'certificate', ownerType: 'school', documentDate: '2010-01-15' }), rules, '2020-01-15')
    expect(verdict.endsOn).toBe('2020-01-15')
    expect(verdict.status).toBe('expired')
  })
})

describe('student records', () => {
  it('expire 10 years after leaving', () => {
    expect(judgeStudentRecord({ leftOn: '2016-02-29', documentsHeld: false }, '2026-02-28').status).toBe('kept')
    expect(judgeStudentRecord({ leftOn: '2016-02-29', documentsHeld: false }, '2026-03-01').status).toBe('expired')
  })

  it('are kept while the student stays', () => {
    const verdict = judgeStudentRecord({ leftOn: null, documentsHeld: false }, '2090-01-01')
    expect(verdict.status).toBe('kept')
    expect(verdict.endsOn).toBeNull()
  })

  it('are held with a held document', () => {
    expect(judgeStudentRecord({ leftOn: '2000-01-01', documentsHeld: true }, '2090-01-01').status).toBe('held')
  })
})

describe('legal hold', () => {
  it('holds an expired document', () => {
    const verdict = judgeRetention(facts({ legalHold: true }), rules, '2090-01-01')
    expect(verdict.status).toBe('held')
    expect(verdict.endsOn).toBe('2027-01-01')
    expect(verdict.deletable).toBe(false)
  })

  it('holds a document with no period', () => {
    const verdict = judgeRetention(facts({ category: 'branding', legalHold: true }), rules, '2090-01-01')
    expect(verdict.status).toBe('held')
    expect(verdict.deletable).toBe(false)
  })
})

describe('deletable', () => {
  it('follows the end date', () => {
    expect(judgeRetention(facts({}), rules, '2026-12-31').deletable).toBe(false)
    expect(judgeRetention(facts({}), rules, '2027-01-01').deletable).toBe(true)
  })
})

describe('configurable periods', () => {
  it('keeps branding with no end date by default', () => {
    const verdict = judgeRetention(facts({ category: 'branding', documentDate: '2000-01-01' }), rules, '2090-01-01')
    expect(verdict.status).toBe('kept')
    expect(verdict.endsOn).toBeNull()
    expect(verdict.deletable).toBe(true)
  })

  it('applies configured years', () => {
    const configured = retentionRules(parseRetentionYears('notice=5, staff-photo=3'))
    expect(judgeRetention(facts({ category: 'notice', documentDate: '2020-09-01' }), configured, '2025-08-31').status).toBe('kept')
    expect(judgeRetention(facts({ category: 'notice', documentDate: '2020-09-01' }), configured, '2025-09-01').status).toBe('expired')
    expect(configured['staff-photo'].years).toBe(3)
    expect(configured.payroll.years).toBe(7)
  })

  it('rejects statutory and invalid entries', () => {
    expect(() => parseRetentionYears('payroll=1')).toThrow(/"payroll=1": the category must be one of/)
    expect(() => parseRetentionYears('notice=0')).toThrow(/from 1 to 100/)
    expect(() => parseRetentionYears('notice=two')).toThrow(/"notice=two"/)
    expect(parseRetentionYears('')).toEqual({})
  })
})

describe('date arithmetic', () => {
  it('adds years across leap days', () => {
    expect(addYears('2020-02-29', 4)).toBe('2024-02-29')
    expect(addYears('2020-02-29', 1)).toBe('2021-03-01')
    expect(addYears('2019-12-31', 7)).toBe('2026-12-31')
  })

  it('finds fiscal year ends', () => {
    expect(fiscalYearEnd('2024-02-10', 3)).toBe('2024-02-29')
    expect(fiscalYearEnd('2023-02-10', 3)).toBe('2023-02-28')
    expect(fiscalYearEnd('2023-12-31', 1)).toBe('2023-12-31')
  })
})
