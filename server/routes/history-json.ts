// MLflow's get-history answer written straight from the columns into bytes:
// the same bytes JSON.stringify writes for `{metrics: [{key, value, timestamp,
// step}], next_page_token}`, without 100,000 objects to build, serialize and
// collect (a 100,000-point history: about a third of the time).
import { toWire } from '../../protocol/index.ts'
import type { Bytes } from './json-text.ts'

export interface HistoryColumns {
  steps: Float64Array
  timestamps: Float64Array
  values: Float64Array
  /** Points to write, from the start of the columns. */
  count: number
}

/** Upper bound of one point's bytes besides its key: three numbers of at most 24 characters and the member names. */
const POINT_BYTES = 3 * 24 + 40

export function historyJson(key: string, h: HistoryColumns, nextPageToken?: string): Bytes {
  const head = Buffer.from(`{"key":${JSON.stringify(key)},"value":`)
  const out = Buffer.allocUnsafe(64 + h.count * (head.length + POINT_BYTES) + (nextPageToken === undefined ? 0 : Buffer.byteLength(nextPageToken) * 6 + 32))
  let at = out.write('{', 0, 'latin1')
  if (h.count > 0) {
    at += out.write('"metrics":[', at, 'latin1')
    for (let i = 0; i < h.count; i++) {
      if (i > 0) out[at++] = COMMA
      at += head.copy(out, at)
      const v = h.values[i]!
      at += out.write(Number.isFinite(v) ? String(v) : JSON.stringify(toWire(v)), at, 'latin1')
      at += TIMESTAMP.copy(out, at)
      at = writeNumber(out, at, h.timestamps[i]!)
      at += STEP.copy(out, at)
      at = writeNumber(out, at, h.steps[i]!)
      out[at++] = CLOSE_BRACE
    }
    out[at++] = CLOSE_BRACKET
  }
  if (nextPageToken !== undefined) at += out.write(`${h.count > 0 ? ',' : ''}"next_page_token":${JSON.stringify(nextPageToken)}`, at, 'utf8')
  out[at++] = CLOSE_BRACE
  return out.subarray(0, at)
}

const COMMA = 0x2c
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const TIMESTAMP = Buffer.from(',"timestamp":')
const STEP = Buffer.from(',"step":')

/** Steps and timestamps are integers: written digit by digit, without a string each. */
function writeNumber(out: Buffer, at: number, x: number): number {
  if (!Number.isSafeInteger(x)) return at + out.write(JSON.stringify(x), at, 'latin1')
  if (x < 0) {
    out[at++] = 0x2d
    x = -x
  }
  let digits = 1
  for (let y = x; y >= 10; y = Math.floor(y / 10)) digits++
  const end = at + digits
  for (let p = end - 1; p >= at; p--) {
    const q = Math.floor(x / 10)
    out[p] = 0x30 + (x - q * 10)
    x = q
  }
  return end
}
