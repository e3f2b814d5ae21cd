// The points of one applied batch as typed columns, appended to DuckDB in
// data chunks. Points arrive as typed arrays per series: their columns are
// copied in with TypedArray.set (a memcpy) and handed to the chunk as typed
// arrays, with no JS array or number boxing per point (20 million points at
// start-up made per-point pushes and the garbage they left a large part of
// the initial index).
import { DOUBLE, DuckDBDataChunk, INTEGER, type DuckDBAppender } from '@duckdb/node-api'
import type { MetricBatch } from '../../ingest-watch/events.ts'
import { CHUNK_ROWS, copyIntoVector } from './vector-arrays.ts'


export interface PointColumns {
  seriesId: Int32Array
  step: Float64Array
  timestamp: Float64Array
  value: Float64Array
  seq: Int32Array
}

/** Lays the batches end to end; `seriesIds[j]` is batch j's series id, its `firstSeq` its first point's position. */
export function pointColumns(batches: MetricBatch[], seriesIds: number[]): PointColumns {
  let total = 0
  for (const b of batches) total += b.value.length
  const out: PointColumns = {
    seriesId: new Int32Array(total),
    step: new Float64Array(total),
    timestamp: new Float64Array(total),
    value: new Float64Array(total),
    seq: new Int32Array(total),
  }
  let at = 0
  for (let j = 0; j < batches.length; j++) {
    const b = batches[j]!
    const n = b.value.length
    out.seriesId.fill(seriesIds[j]!, at, at + n)
    out.step.set(b.step, at)
    out.timestamp.set(b.timestamp, at)
    out.value.set(b.value, at)
    const first = b.firstSeq!
    for (let i = 0; i < n; i++) out.seq[at + i] = first + i
    at += n
  }
  return out
}

/** Appends the columns (in the order of the points table) one data chunk at a time, reusing one chunk. */
export function appendPointColumns(a: DuckDBAppender, c: PointColumns): void {
  const total = c.value.length
  if (total === 0) return
  const chunk = DuckDBDataChunk.create([INTEGER, DOUBLE, DOUBLE, DOUBLE, INTEGER])
  const columns = [c.seriesId, c.step, c.timestamp, c.value, c.seq]
  for (let from = 0; from < total; from += CHUNK_ROWS) {
    const to = Math.min(total, from + CHUNK_ROWS)
    // Setting the row count gives the chunk fresh vectors of that length.
    chunk.rowCount = to - from
    // setColumnValues only indexes its argument: a typed array view serves (the types ask for a number[]).
    for (let j = 0; j < columns.length; j++) {
      if (!copyIntoVector(chunk.getColumnVector(j), columns[j]!.subarray(from, to))) chunk.setColumnValues(j, columns[j]!.subarray(from, to) as unknown as number[])
    }
    a.appendDataChunk(chunk)
  }
}
