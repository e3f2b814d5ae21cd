// The metrics table read as text: SQLite writes a range's rows as one blob of
// lines, `run_uuid US key US timestamp value step`, separated by RS (ASCII
// unit and record separators), and this parses the blob. Asking better-sqlite3
// for rows makes a JS array and five values per row, about 900 ns a row, most
// of reading 20 million points; SQLite writes a row's line in about 400 ns
// and the blob parses in about 190. SQLite writes REALs with 17 significant
// digits, which read back to the same double. Pure: tested without SQLite.
import type { MetricBatch } from '../events.ts'
import { latin1, parseInteger, parseValue } from '../metric-lines.ts'
import { metricValue } from './rows.ts'
import { SeriesGrouper } from './series-grouper.ts'

const UNIT = 31
const RECORD = 30
const SPACE = 32
/** The separators as characters: params and tags are read as text the same way (key-value-text.ts). */
export const UNIT_CHAR = String.fromCharCode(UNIT)
export const RECORD_CHAR = String.fromCharCode(RECORD)

/** One row's line; the NaN flag becomes the value `nan`. A row with a NULL field makes no line. */
export const METRIC_LINE_SQL =
  `run_uuid || char(${UNIT}) || key || char(${UNIT}) || timestamp || ' ' || ` +
  `CASE WHEN is_nan THEN 'nan' ELSE coalesce(value, 0) END || ' ' || step`

/** The lines joined in the order of their rows. */
export const METRIC_TEXT_SQL = `CAST(group_concat(line, char(${RECORD})) AS BLOB)`

const decoder = new TextDecoder()

/**
 * The points of `rows` lines, grouped per (run, key) as toMetricBatches groups
 * rows; undefined when the text is not exactly `rows` well-formed lines (a
 * NULL field, a key holding a separator, a value that is not a number), and
 * the caller reads those rows one by one instead.
 */
export function parseMetricText(bytes: Uint8Array, rows: number): MetricBatch[] | undefined {
  const grouper = new SeriesGrouper(rows)
  // Ids of a series are the latin1 text of `run US key`: one substring of this, no decoding per line.
  const source = latin1(bytes, 0, bytes.length)
  const end = bytes.length
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Where the previous line's `run US key` starts, and its length: a line of the same series starts with the same bytes, then US.
  let previousStart = 0
  let previousLength = -1
  let pos = 0
  while (pos < end) {
    if (grouper.points === rows) return undefined
    let same = previousLength > 0 && bytes[pos + previousLength] === UNIT
    // Four bytes at a time, then the rest: String.prototype.startsWith on a substring of the text cost about 150 ns a line.
    let k = 0
    for (; same && k + 4 <= previousLength; k += 4) same = view.getUint32(pos + k) === view.getUint32(previousStart + k)
    for (; same && k < previousLength; k++) same = bytes[pos + k] === bytes[previousStart + k]
    let idEnd: number
    if (same) {
      // Most lines continue the previous line's series: no scan for the separators.
      idEnd = pos + previousLength
    } else {
      const firstUnit = source.indexOf(UNIT_CHAR, pos)
      idEnd = firstUnit < 0 ? -1 : source.indexOf(UNIT_CHAR, firstUnit + 1)
      if (idEnd < 0) return undefined
      // A line has no record separator before its numbers: one there means a key holding separators.
      const recordAt = source.indexOf(RECORD_CHAR, pos)
      if (recordAt >= 0 && recordAt < idEnd) return undefined
      const id = source.substring(pos, idEnd)
      if (!grouper.resume(id)) grouper.start(id, decoder.decode(bytes.subarray(pos, firstUnit)), decoder.decode(bytes.subarray(firstUnit + 1, idEnd)))
    }
    previousStart = pos
    previousLength = idEnd - pos
    const timestampStart = idEnd + 1
    let valueStart = timestampStart
    while (valueStart < end && bytes[valueStart] !== SPACE) valueStart++
    let stepStart = valueStart + 1
    while (stepStart < end && bytes[stepStart] !== SPACE) stepStart++
    let lineEnd = stepStart + 1
    while (lineEnd < end && bytes[lineEnd] !== RECORD) lineEnd++
    if (stepStart >= end) return undefined
    const timestamp = parseInteger(bytes, timestampStart, valueStart)
    const value = parseValue(bytes, valueStart + 1, stepStart, source)
    const step = parseInteger(bytes, stepStart + 1, lineEnd)
    if (timestamp === undefined || value === undefined || step === undefined) return undefined
    grouper.point(timestamp, metricValue(value, 0), step)
    pos = lineEnd + 1
  }
  return grouper.points === rows ? grouper.batches() : undefined
}
