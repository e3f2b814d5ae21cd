import { describe, expect, it } from 'vitest'
import { completeLinesEnd, parseMetricLines, parsePythonFloat } from '../ingest-watch/metric-lines.ts'

describe('parseMetricLines', () => {
  it('reads the 3-field form MLflow writes', () => {
    const r = parseMetricLines('1732000003000 0.6931 0\n1732000004000 0.5123 1\n')
    expect([...r.timestamp]).toEqual([1732000003000, 1732000004000])
    expect([...r.value]).toEqual([0.6931, 0.5123])
    expect([...r.step]).toEqual([0, 1])
    expect(r.bad).toEqual([])
  })

  it('reads the old 2-field form as step 0 and the 5-field dataset form', () => {
    const r = parseMetricLines('1000 1.5\n2000 2.5 7 train abc123\n')
    expect([...r.step]).toEqual([0, 7])
    expect([...r.value]).toEqual([1.5, 2.5])
  })

  it('reads Python float spellings: nan, inf, -inf, exponents, integers, negative steps', () => {
    const r = parseMetricLines('1 nan 0\n2 inf 1\n3 -inf 2\n4 1e+16 3\n5 2.5e-07 4\n6 1 -5\n')
    expect(r.value[0]).toBeNaN()
    expect([...r.value.slice(1)]).toEqual([Infinity, -Infinity, 1e16, 2.5e-7, 1])
    expect([...r.step]).toEqual([0, 1, 2, 3, 4, -5])
  })

  it('skips only the bad lines and reports each with its file line number', () => {
    const text = '1 0.1 0\n2 0.2 1 extra\n3 abc 2\nbinary\u0000junk\n4 0.4 3\n\n5 0.5 x\n6 0.6 5\n'
    const r = parseMetricLines(text, 10)
    expect([...r.value]).toEqual([0.1, 0.4, 0.6])
    expect(r.bad.map((b) => b.line)).toEqual([11, 12, 13, 16])
    expect(r.bad[0]!.reason).toMatch(/expected 2, 3 or 5 fields, found 4/)
    expect(r.bad[1]!.reason).toMatch(/value 'abc' is not a number/)
  })

  it('does not take an empty or blank value for zero', () => {
    expect(parsePythonFloat('')).toBeUndefined()
    expect(parsePythonFloat('0x10')).toBeUndefined()
    expect(parsePythonFloat('1_000')).toBeUndefined()
  })
})

describe('completeLinesEnd', () => {
  it('holds back a line that is still being written', () => {
    const bytes = new TextEncoder().encode('1 0.1 0\n2 0.')
    expect(completeLinesEnd(bytes)).toBe(8)
    expect(completeLinesEnd(new TextEncoder().encode('1 0.1'))).toBe(0)
  })
})
