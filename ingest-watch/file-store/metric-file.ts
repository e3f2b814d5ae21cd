// Reading the new part of one metric file: from a byte offset to the last
// complete line, in pieces of at most MAX_READ_BYTES, skipping a line too
// long to be a metric line. Synchronous: used by the tail on the main thread
// and by the scan workers.
import { completeLinesEnd, parseMetricBytes } from '../metric-lines.ts'
import { readRegularFile } from './read-file.ts'

/** Largest single read: a huge metric file is parsed in pieces of this size. */
export const MAX_READ_BYTES = 16 * 1024 * 1024

export interface MetricReadState {
  offset: number
  /** 1-based number of the next line to parse, for error messages. */
  line: number
  /** Inside a line longer than MAX_READ_BYTES, dropping bytes up to its end. */
  skipping: boolean
}

export interface MetricColumns {
  timestamp: Float64Array
  value: Float64Array
  step: Float64Array
}

export interface MetricRead {
  batches: MetricColumns[]
  /** The first problem met (a bad line, a line too long, a shrunk file), for one log line per file. */
  problem?: string
}

export function newMetricState(): MetricReadState {
  return { offset: 0, line: 1, skipping: false }
}

/** Reads what is new after `state` (which it advances). Throws the file system's errors. */
export function readMetricFile(path: string, state: MetricReadState): MetricRead {
  const out: MetricRead = { batches: [] }
  const note = (problem: string) => {
    out.problem ??= problem
  }
  for (;;) {
    let chunk = readRegularFile(path, state.offset, MAX_READ_BYTES)
    if (chunk.size < state.offset) {
      // Truncated or replaced: the file is the truth, read it again.
      note(`shrank from ${state.offset} to ${chunk.size} bytes; reading it again`)
      Object.assign(state, newMetricState())
      chunk = readRegularFile(path, 0, MAX_READ_BYTES)
    }
    const { bytes } = chunk
    let start = 0
    if (state.skipping) {
      const nl = bytes.indexOf(10)
      if (nl < 0) {
        state.offset += bytes.length
        if (bytes.length < MAX_READ_BYTES) return out
        continue
      }
      start = nl + 1
      state.skipping = false
      state.line++
    }
    if (completeLinesEnd(bytes) <= start && bytes.length >= MAX_READ_BYTES) {
      // A full read without a newline: a line longer than anything MLflow writes.
      note(`line ${state.line}: longer than ${MAX_READ_BYTES} bytes; skipped`)
      state.offset += bytes.length
      state.skipping = true
      continue
    }
    takeLines(bytes, start, state, out)
    if (bytes.length < MAX_READ_BYTES) return out
  }
}

/**
 * The same for a whole file already read, shorter than MAX_READ_BYTES, from
 * a fresh state (the initial scan reads files whole into a reused buffer).
 * `bytes` may be reused once this returns: the columns are copies.
 */
export function readMetricBytes(bytes: Uint8Array, state: MetricReadState): MetricRead {
  const out: MetricRead = { batches: [] }
  takeLines(bytes, 0, state, out)
  return out
}

/** Parses the complete lines of `bytes` from `start` (a line's beginning) and advances `state` past them. */
function takeLines(bytes: Uint8Array, start: number, state: MetricReadState, out: MetricRead): void {
  const end = completeLinesEnd(bytes)
  if (end <= start) {
    state.offset += start
    return
  }
  const body = bytes.subarray(start, end)
  const parsed = parseMetricBytes(body, body.length, state.line)
  state.offset += end
  state.line += parsed.newlines
  if (parsed.bad.length > 0) {
    const first = parsed.bad[0]!
    const more = parsed.bad.length > 1 ? ` (and ${parsed.bad.length - 1} more bad lines)` : ''
    out.problem ??= `line ${first.line}: ${first.reason}; skipped${more}`
  }
  if (parsed.value.length > 0) out.batches.push({ timestamp: parsed.timestamp, value: parsed.value, step: parsed.step })
}
