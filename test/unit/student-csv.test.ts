import { describe, expect, it } from 'vitest'
import { detectDelimiter } from '../../domain/csv'
import { mapHeader, readCsvDate, readStudentRow } from '../../domain/student-csv'
import { StudentImportCheck } from '../../domain/student-import-check'
import { findInvalidUtf8, incompleteTailLength } from '../../domain/utf8'

const bytes = (...values: number[]) => new Uint8Array(values)

describe('findInvalidUtf8', () => {
  it.each([
    ['ASCII', bytes(0x61, 0x62), -1],
    ['two, three and four byte characters', new TextEncoder().encode('ç€😀'), -1],
    ['a Latin-1 é', bytes(0x61, 0xe9, 0x6c), 1],
    ['a lone continuation byte', bytes(0x61, 0x80), 1],
    ['an overlong slash', bytes(0x61, 0xc0, 0xaf), 1],
    ['an overlong three-byte form', bytes(0xe0, 0x80, 0xaf), 0],
    ['a UTF-16 surrogate', bytes(0x61, 0x62, 0xed, 0xa0, 0x80), 2],
    ['a code point above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['a character cut at the end', bytes(0x61, 0xe2, 0x82), 1],
    ['a UTF-16 byte order mark', bytes(0xff, 0xfe, 0x61, 0x00), 0],
  ])('finds %s', (_, input, offset) => {
    expect(findInvalidUtf8(input)).toBe(offset)
  })
})

describe('incompleteTailLength', () => {
  it.each([
    ['complete ASCII', bytes(0x61, 0x62, 0x63), 0],
    ['a complete ç', bytes(0x61, 0xc3, 0xa7), 0],
    ['the lead byte of ç', bytes(0x61, 0x62, 0xc3), 1],
    ['two bytes of €', bytes(0x61, 0xe2, 0x82), 2],
    ['three bytes of an emoji', bytes(0xf0, 0x9f, 0x98), 3],
    ['the end of an emoji', bytes(0x9f, 0x98, 0x80), 0],
    ['fewer than three bytes', bytes(0xe2), 1],
  ])('counts %s', (_, input, length) => {
    expect(incompleteTailLength(input)).toBe(length)
  })
})

describe('readCsvDate', () => {
  it.each([
    ['2010-02-28', { ok: true, date: '2010-02-28' }],
    ['28/02/2010', { ok: true, date: '2010-02-28' }],
    ['1/9/2020', { ok: true, date: '2020-09-01' }],
    ['29/02/2012', { ok: true, date: '2012-02-29' }],
    ['2000-02-29', { ok: true, date: '2000-02-29' }],
    ['31/02/2010', { ok: false, problem: 'calendar' }],
    ['2010-02-31', { ok: false, problem: 'calendar' }],
    ['1900-02-29', { ok: false, problem: 'calendar' }],
    ['31/04/2010', { ok: false, problem: 'calendar' }],
    ['01/13/2010', { ok: false, problem: 'calendar' }],
    ['0000-01-01', { ok: false, problem: 'calendar' }],
    ['2010/02/03', { ok: false, problem: 'format' }],
    ['3 Feb 2010', { ok: false, problem: 'format' }],
    ['2010-2-3', { ok: false, problem: 'format' }],
  ])('reads %s', (text, reading) => {
    expect(readCsvDate(text)).toEqual(reading)
  })
})

describe('detectDelimiter', () => {
  it.each([
    ['a,b,c', ','],
    ['a;b;c', ';'],
    ['a\tb\tc', '\t'],
    ['"a,1";"b,2";c', ';'],
    ['a|b|c', null],
    ['admission_number', null],
  ])('detects in %j', (line, delimiter) => {
    expect(detectDelimiter(line)).toBe(delimiter)
  })
})

describe('mapHeader', () => {
  it('matches names loosely', () => {
    const mapping = mapHeader(['Admission Number', 'FIRST_NAME', 'last-name', ' Birth Date ', 'admittedOn', 'E-Mail'])

    expect(mapping).toEqual({ ok: true, fields: ['admissionNumber', 'firstName', 'lastName', 'birthDate', 'admittedOn', 'email'] })
  })

  it('lists every header problem', () => {
    const mapping = mapHeader(['admission_number', 'first_name', 'First Name', 'photo_ref', ''])

    expect(mapping).toEqual({
      ok: false,
      problems: {
        missing: ['last_name', 'birth_date', 'admitted_on'],
        unknown: ['photo_ref'],
        repeated: [{ name: 'First Name', column: 'first_name' }],
        unnamed: [5],
      },
    })
  })
})

describe('readStudentRow', () => {
  const fields = ['admissionNumber', 'firstName', 'lastName', 'birthDate', 'admittedOn', 'gender', 'status'] as const

  it('normalises dates, case and empty cells', () => {
    const reading = readStudentRow([' A-1 ', 'Ana', 'Silva', '02/01/2010', '2020-09-01', 'FEMALE', ''], fields)

    expect(reading).toEqual({
      ok: true,
      student: { admissionNumber: 'A-1', firstName: 'Ana', lastName: 'Silva', birthDate: '2010-01-02', admittedOn: '2020-09-01', gender: 'female' },
    })
  })

  it('reports a missing required value', () => {
    const reading = readStudentRow(['A-1', 'Ana', ' ', '2010-01-02', '2020-09-01', '', ''], fields)

    expect(reading).toEqual({ ok: false, problems: [{ field: 'lastName', message: 'last name is missing' }] })
  })
})

describe('StudentImportCheck', () => {
  const header = ['admissionNumber', 'firstName', 'lastName', 'birthDate', 'admittedOn'] as const
  const row = (number: string, birth = '2010-01-02') => [number, 'Ana', 'Silva', birth, '2020-09-01']

  it('skips blank records without counting them', () => {
    const check = new StudentImportCheck(header)

    check.addRecord(row('A-1'), 2)
    check.addRecord([''], 3)
    check.addRecord(['', '', '', '', ''], 4)
    check.addRecord(row('A-2', 'never'), 5)

    expect(check.rows).toBe(2)
    expect(check.listProblems()).toEqual([{ row: 2, line: 5, field: 'birthDate', message: 'birth date "never" is not a date in the form YYYY-MM-DD or DD/MM/YYYY' }])
  })

  it('flags a duplicate of an invalid row', () => {
    const check = new StudentImportCheck(header)

    check.addRecord(row('A-1', 'never'), 2)
    check.addRecord(row('A-1'), 3)

    expect(check.students).toHaveLength(0)
    expect(check.listProblems().map((problem) => problem.row)).toEqual([1, 2])
  })

  it('merges taken numbers in row order', () => {
    const check = new StudentImportCheck(header)
    for (let index = 1; index <= 150; index++) check.addRecord(row(`N-${index}`, index % 2 === 0 ? 'never' : '2010-01-02'), index + 1)

    check.markTaken(new Set(['N-1', 'N-3']))

    expect(check.problemCount).toBe(77)
    const listed = check.listProblems()
    expect(listed).toHaveLength(77)
    expect(listed.slice(0, 3).map((problem) => problem.row)).toEqual([1, 2, 3])
    expect(listed[0]?.message).toBe('admission number "N-1" already belongs to a student of this school')
  })
})
