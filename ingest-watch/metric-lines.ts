// Parser for MLflow file-store metric files: `timestamp value step` per line,
// also the old 2-field and the 5-field (dataset) forms. Values are Python
// float text (`nan`, `inf`, `-inf`, `1e+16`). Works on bytes and fills
// columns directly: a store holds millions of lines.

import { doubled } from './grow-array.ts'

export interface ParsedMetricLines {
  timestamp: Float64Array
  value: Float64Array
  step: Float64Array
  /** Lines that were not valid metric lines (1-based line numbers in the file). */
  bad: { line: number; text: string; reason: string }[]
  /** Newline bytes in the text: the caller's line count moves on by this much without a second pass over the bytes. */
  newlines: number
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const SPACE = 32
const TAB = 9
const CR = 13
const LF = 10

/** Python's float() spellings; undefined when the text is not a number. */
export function parsePythonFloat(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text)
  switch (text.toLowerCase()) {
    case 'nan': case '+nan': case '-nan': return NaN
    case 'inf': case '+inf': case 'infinity': case '+infinity': return Infinity
    case '-inf': case '-infinity': return -Infinity
    default: return undefined
  }
}

/** An integer field, or undefined; exact up to 2^53. */
export function parseInteger(bytes: Uint8Array, start: number, end: number): number | undefined {
  let i = start
  let negative = false
  if (bytes[i] === 45 /* - */ || bytes[i] === 43 /* + */) negative = bytes[i++] === 45
  if (i === end) return undefined
  let n = 0
  for (; i < end; i++) {
    const d = bytes[i]! - 48
    if (d < 0 || d > 9) return undefined
    n = n * 10 + d
  }
  return negative ? -n : n
}

/**
 * A value field: plain decimal text goes straight to Number() (which agrees
 * with Python's float() once hex, underscores and spaces are ruled out by the
 * byte check); anything else is tried as nan/inf spellings. `source` is the
 * whole text as a latin1 string: a substring of it costs less than a string
 * made from the bytes for each value (a quarter less parse time).
 */
export function parseValue(bytes: Uint8Array, start: number, end: number, source: string): number | undefined {
  const exact = exactDecimal(bytes, start, end)
  if (exact !== undefined) return exact
  let plain = true
  for (let i = start; i < end; i++) {
    const b = bytes[i]!
    // 0-9 . + - e E
    if (!((b >= 48 && b <= 57) || b === 46 || b === 43 || b === 45 || b === 101 || b === 69)) {
      plain = false
      break
    }
  }
  if (plain) {
    const v = Number(source.substring(start, end))
    return Number.isNaN(v) ? undefined : v
  }
  return parsePythonFloat(text(bytes, start, end))
}

/** 10^0 … 10^22: every one an exact double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))
const MAX_EXACT = 2 ** 53
/** Digits read into the high part of a long mantissa: below 2^53, so exact. */
const HIGH_DIGITS = 15
/** At most this many more: the low part stays an exact small integer. */
const MAX_LOW_DIGITS = 4
/** 2^27 + 1: splits a double into two halves whose products are exact (Dekker). */
const SPLITTER = 134217729
const POWER_HIGH = POWERS_OF_TEN.map((p) => SPLITTER * p - (SPLITTER * p - p))
const POWER_LOW = POWERS_OF_TEN.map((p, j) => p - POWER_HIGH[j]!)

/**
 * `[+-]digits[.digits]` of at most 19 significant digits and at most 22
 * after the point, read to the correctly rounded double as Number() does,
 * without making a string. Up to 2^53 the digits as an integer and the power
 * of ten are exact doubles, so one division is correctly rounded (Clinger's
 * fast path). Longer mantissas — Python writes 17 significant digits for
 * about half of all floats — go to nearestDecimal. Anything else (an
 * exponent, more digits, not a number) is undefined: the caller takes the
 * general way.
 */
function exactDecimal(bytes: Uint8Array, start: number, end: number): number | undefined {
  let i = start
  const negative = bytes[i] === 45 /* - */
  if (negative || bytes[i] === 43 /* + */) i++
  let high = 0
  let low = 0
  let significant = 0
  let lowDigits = 0
  let digits = 0
  let point = -1
  for (; i < end; i++) {
    const b = bytes[i]!
    if (b === 46 /* . */) {
      if (point >= 0) return undefined
      point = i
      continue
    }
    const d = b - 48
    if (d < 0 || d > 9) return undefined
    digits++
    // Leading zeros add nothing to the mantissa.
    if (significant === 0 && d === 0) continue
    if (significant++ < HIGH_DIGITS) high = high * 10 + d
    else if (lowDigits++ < MAX_LOW_DIGITS) low = low * 10 + d
    else return undefined
  }
  if (digits === 0) return undefined
  const decimals = point < 0 ? 0 : end - point - 1
  if (decimals > 22) return undefined
  let v: number | undefined
  // high · 10^lowDigits + low, when it is below 2^53, is exact.
  const mantissa = high * POWERS_OF_TEN[lowDigits]! + low
  if (mantissa < MAX_EXACT) v = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals]!
  else v = nearestDecimal(high, low, lowDigits, decimals)
  return v === undefined ? undefined : negative ? -v : v
}

/**
 * (high · 10^lowDigits + low) / 10^decimals, correctly rounded, for a
 * mantissa past 2^53 (high < 10^15, low < 10^lowDigits). The quotient
 * a = high / 10^j (j = decimals − lowDigits) is correctly rounded; its exact
 * remainder comes from Dekker's product a · 10^j = p + e; the rest of the
 * value, remainder / 10^j + low / 10^decimals, is known to a relative 2^-50
 * or so. a + rest rounds to s; s is the answer when every value within that
 * uncertainty of a + rest rounds to s too. Otherwise — within about 2^-45 of
 * a halfway point, rare — undefined, and Number() decides.
 */
function nearestDecimal(high: number, low: number, lowDigits: number, decimals: number): number | undefined {
  const j = decimals - lowDigits
  if (j < 0) return undefined
  const power = POWERS_OF_TEN[j]!
  const a = high / power
  const split = SPLITTER * a
  const aHigh = split - (split - a)
  const aLow = a - aHigh
  const p = a * power
  const e = aHigh * POWER_HIGH[j]! - p + aHigh * POWER_LOW[j]! + aLow * POWER_HIGH[j]! + aLow * POWER_LOW[j]!
  // high − p is exact (p is within a rounding of high: Sterbenz).
  const remainder = (high - p - e) / power
  const lowPart = low / POWERS_OF_TEN[decimals]!
  const rest = remainder + lowPart
  const s = a + rest
  // a + rest = s + delta exactly (|a| > |rest|: Fast2Sum).
  const delta = rest - (s - a)
  const slack = (Math.abs(remainder) + lowPart) * 2 ** -45
  return s + (delta + slack) === s && s + (delta - slack) === s ? s : undefined
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(bytes, start, end) as string
}

const decoder = new TextDecoder()
const text = (bytes: Uint8Array, start: number, end: number) => decoder.decode(bytes.subarray(start, end))

/**
 * Parses the complete lines in `bytes[0, end)`. `firstLine` is the file line
 * number of the first line, so errors point at the real place in the file.
 */
export function parseMetricBytes(bytes: Uint8Array, end = bytes.length, firstLine = 1): ParsedMetricLines {
  const bad: ParsedMetricLines['bad'] = []
  // One string for the whole text (latin1: one character per byte, same offsets): a value is a substring of it, not a call into C++ each.
  const source = latin1(bytes, 0, end)
  const starts = [0, 0, 0, 0, 0, 0]
  const ends = [0, 0, 0, 0, 0, 0]
  let columns = scratch
  let n = 0
  let newlines = 0
  let pos = 0
  // One pass: lines are found while their fields are (no counting pass first,
  // no Buffer.indexOf call into C++ per line); values go into reused columns,
  // copied out at the end at their exact length.
  while (pos < end) {
    if (n === columns.timestamp.length) columns = scratch = growColumns(columns)
    const common = commonLine(bytes, pos, end, columns, n, source)
    if (common >= 0) {
      n++
      if (common < end) newlines++
      pos = common + 1
      continue
    }
    // Split on runs of spaces/tabs; at most 6 fields are looked at.
    let fields = 0
    let i = pos
    let lastStart = -1
    for (;;) {
      while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++
      if (i >= end || bytes[i] === LF) break
      lastStart = i
      while (i < end) {
        const b = bytes[i]
        if (b === SPACE || b === TAB || b === LF) break
        i++
      }
      if (fields < 6) {
        starts[fields] = lastStart
        ends[fields] = i
      }
      fields++
    }
    const eol = i
    // A CR before the newline is not part of the line: a field of its own, or the end of the last.
    let lineEnd = eol
    if (eol > pos && bytes[eol - 1] === CR) {
      lineEnd--
      if (lastStart === lineEnd) fields--
      else if (lastStart >= 0 && fields <= 6) ends[fields - 1] = lineEnd
    }
    const reason = fields === 0 ? undefined : fieldsProblem(bytes, fields, starts, ends, columns.timestamp, columns.value, columns.step, n, source)
    if (reason === undefined && fields > 0) n++
    else if (reason !== undefined) bad.push({ line: firstLine + newlines, text: text(bytes, pos, Math.min(lineEnd, pos + 200)), reason })
    if (eol < end) newlines++
    pos = eol + 1
  }
  return { timestamp: columns.timestamp.slice(0, n), value: columns.value.slice(0, n), step: columns.step.slice(0, n), bad, newlines }
}

/**
 * The line MLflow writes, `<timestamp> <value> <step>` with single spaces:
 * its three fields found in one pass over its bytes and read into row `n`
 * by the same field readers as any line; returns the index of its newline
 * (or `end`). -1 for any other line (or a bad field), nothing stored: the
 * general split then takes it, finding and reporting what is wrong (about a
 * fifth less time per line on a store of such lines).
 */
function commonLine(bytes: Uint8Array, pos: number, end: number, columns: Columns, n: number, source: string): number {
  let i = pos
  while (i < end && bytes[i]! > SPACE) i++
  if (i === pos || bytes[i] !== SPACE) return -1
  const valueStart = ++i
  while (i < end && bytes[i]! > SPACE) i++
  if (i === valueStart || bytes[i] !== SPACE) return -1
  const stepStart = ++i
  while (i < end && bytes[i]! > SPACE) i++
  if (i === stepStart || (i < end && bytes[i] !== LF)) return -1
  const ts = parseInteger(bytes, pos, valueStart - 1)
  const v = parseValue(bytes, valueStart, stepStart - 1, source)
  const step = parseInteger(bytes, stepStart, i)
  if (ts === undefined || v === undefined || step === undefined) return -1
  columns.timestamp[n] = ts
  columns.value[n] = v
  columns.step[n] = step
  return i
}

interface Columns {
  timestamp: Float64Array
  value: Float64Array
  step: Float64Array
}

/** Parsed values before they are copied out; one set per thread, grown as needed. */
let scratch: Columns = { timestamp: new Float64Array(1024), value: new Float64Array(1024), step: new Float64Array(1024) }

function growColumns(c: Columns): Columns {
  return { timestamp: doubled(c.timestamp), value: doubled(c.value), step: doubled(c.step) }
}

function fieldsProblem(
  bytes: Uint8Array, fields: number, starts: number[], ends: number[],
  timestamp: Float64Array, value: Float64Array, step: Float64Array, n: number, source: string,
): string | undefined {
  if (fields !== 2 && fields !== 3 && fields !== 5) return `expected 2, 3 or 5 fields, found ${fields}`
  const ts = parseInteger(bytes, starts[0]!, ends[0]!)
  if (ts === undefined) return `timestamp '${text(bytes, starts[0]!, Math.min(ends[0]!, starts[0]! + 40))}' is not an integer`
  const v = parseValue(bytes, starts[1]!, ends[1]!, source)
  if (v === undefined) return `value '${text(bytes, starts[1]!, Math.min(ends[1]!, starts[1]! + 40))}' is not a number`
  const s = fields === 2 ? 0 : parseInteger(bytes, starts[2]!, ends[2]!)
  if (s === undefined) return `step '${text(bytes, starts[2]!, Math.min(ends[2]!, starts[2]! + 40))}' is not an integer`
  timestamp[n] = ts
  value[n] = v
  step[n] = s
  return undefined
}

/** The same, for text (tests and small inputs). */
export function parseMetricLines(source: string, firstLine = 1): ParsedMetricLines {
  return parseMetricBytes(new TextEncoder().encode(source), undefined, firstLine)
}

/** Index just past the last newline: bytes after it are a line still being written. */
export function completeLinesEnd(bytes: Uint8Array): number {
  return bytes.lastIndexOf(LF) + 1
}
