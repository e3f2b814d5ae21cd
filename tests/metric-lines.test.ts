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

  it('reads every decimal spelling to the same double as Number() does', () => {
    // Shortest round-trip forms (what Python and MLflow write), fixed-point forms
    // of every length, signs, leading and trailing zeros, a bare point on either side.
    const texts: string[] = ['0', '-0', '+0', '0.0', '-0.0', '1.', '.5', '-.5', '+.25', '007.50', '9007199254740991', '9007199254740992', '9007199254740993',
      '0.1', '0.30000000000000004', '123456789012345678901234', '0.0000000000000000000001', '0.00000000000000000000001', '1.7976931348623157']
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let i = 0; i < 20_000; i++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 30 - 15)
      texts.push(String(x), x.toFixed(Math.floor(random() * 21)), String(Math.round(x * 1e6)))
    }
    const plain = texts.filter((t) => !/e/i.test(t))
    const r = parseMetricLines(plain.map((t, i) => `${i} ${t} ${i}\n`).join(''))
    expect(r.bad).toEqual([])
    expect([...r.value].map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(plain.map((t) => Object.is(Number(t), -0) ? '-0' : String(Number(t))))
  })

  it('reads 16 to 19 significant digits as Number() does, also next to a halfway point between two doubles', () => {
    // The decimals closest to the exact midpoint of a double and the next one up (built with
    // BigInt): the hardest cases for a reader that rounds, where one bit of error shows.
    let seed = 11
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const texts: string[] = []
    const bits = new BigUint64Array(1)
    const asDouble = new Float64Array(bits.buffer)
    for (let i = 0; i < 5000; i++) {
      asDouble[0] = (1 + random() * 9) * 10 ** Math.floor(random() * 15 - 4)
      texts.push(String(asDouble[0]), asDouble[0].toPrecision(17), asDouble[0].toPrecision(19))
      const raw = bits[0]!
      const exponent = Number((raw >> 52n) & 0x7ffn) - 1076
      const mantissa = (raw & ((1n << 52n) - 1n)) | (1n << 52n)
      // The midpoint (2m + 1) · 2^exponent as an exact decimal: digits / 10^scale.
      const scale = Math.max(0, -exponent)
      const digits = (exponent >= 0 ? (2n * mantissa + 1n) << BigInt(exponent) : (2n * mantissa + 1n) * 5n ** BigInt(scale)).toString().padStart(scale + 1, '0')
      const whole = digits.length - scale
      const firstSignificant = digits.search(/[1-9]/)
      for (const significant of [16, 17, 18, 19]) {
        for (const step of [-1n, 0n, 1n]) {
          const kept = digits.slice(0, firstSignificant + significant)
          const d = (BigInt(kept) + step).toString().padStart(kept.length, '0')
          texts.push(kept.length <= whole ? d + '0'.repeat(whole - kept.length) : `${d.slice(0, whole) || '0'}.${d.slice(whole)}`)
        }
      }
    }
    const r = parseMetricLines(texts.map((t, i) => `${i} ${t} ${i}\n`).join(''))
    expect(r.bad).toEqual([])
    const wrong = texts.filter((t, i) => !Object.is(r.value[i], Number(t)))
    expect(wrong).toEqual([])
    expect(r.value.length).toBe(75_000)
  })

  it('reads CRLF lines: a CR before the newline is not part of the last field, nor a field of its own', () => {
    const r = parseMetricLines('1 0.5 0\r\n2 0.25 1 \r\n3 x 2\r\n\r\n5 1 2 a b c d\r\n6 1 2 a b c \r\n7 0.125 3\r')
    expect([...r.value]).toEqual([0.5, 0.25, 0.125])
    expect([...r.step]).toEqual([0, 1, 3])
    expect(r.bad).toEqual([
      { line: 3, text: '3 x 2', reason: "value 'x' is not a number" },
      { line: 5, text: '5 1 2 a b c d', reason: 'expected 2, 3 or 5 fields, found 7' },
      { line: 6, text: '6 1 2 a b c ', reason: 'expected 2, 3 or 5 fields, found 6' },
    ])
    expect(r.newlines).toBe(6)
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
