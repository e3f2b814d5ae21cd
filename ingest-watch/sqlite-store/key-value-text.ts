// Params and tags read as text, as metric-text.ts reads metrics: SQLite writes
// the rows as one blob of `run_uuid US key US value` lines separated by RS, and
// this splits it. 400,000 param rows of 10,000 runs took about 2 µs each as
// better-sqlite3 rows. Pure: tested without SQLite.
import { RECORD_CHAR as RECORD, UNIT_CHAR as UNIT } from './metric-text.ts'

/** The rows' lines joined, from a subquery with columns run_uuid, key, value. */
export const KEY_VALUE_TEXT_SQL =
  `count(*), CAST(group_concat(run_uuid || char(31) || key || char(31) || coalesce(value, ''), char(30)) AS BLOB)`

export interface KeyValueRows {
  runIds: string[]
  keys: string[]
  values: string[]
}

const decoder = new TextDecoder()

/**
 * The `rows` rows in the text; undefined when it does not hold exactly that
 * many lines of three fields (a NULL run or key, a field holding a separator),
 * and the caller reads the rows one by one instead.
 */
export function parseKeyValueText(bytes: Uint8Array | null, rows: number): KeyValueRows | undefined {
  const out: KeyValueRows = { runIds: [], keys: [], values: [] }
  if (rows === 0) return bytes === null || bytes.length === 0 ? out : undefined
  if (bytes === null) return undefined
  const text = decoder.decode(bytes)
  let runId = ''
  let pos = 0
  for (let row = 0; row < rows; row++) {
    let end = text.indexOf(RECORD, pos)
    if (end < 0) end = text.length
    const runEnd = text.indexOf(UNIT, pos)
    const keyEnd = runEnd < 0 ? -1 : text.indexOf(UNIT, runEnd + 1)
    // Two separators before the line's end, and no third one in its value.
    if (keyEnd < 0 || keyEnd > end || text.lastIndexOf(UNIT, end - 1) !== keyEnd) return undefined
    // Rows of a run mostly follow each other: its id is cut out once.
    if (runEnd - pos !== runId.length || !text.startsWith(runId, pos)) runId = text.substring(pos, runEnd)
    out.runIds.push(runId)
    out.keys.push(text.substring(runEnd + 1, keyEnd))
    out.values.push(text.substring(keyEnd + 1, end))
    pos = end + 1
  }
  return pos >= text.length ? out : undefined
}
