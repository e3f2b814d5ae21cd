// The series answer as a binary frame (protocol: SERIES_FRAME_TYPE), for
// clients that ask for it: the grid and each run's row copied as doubles.
import { encodeSeriesFrame, type SeriesFrameHeader } from '../../protocol/index.ts'
import type { SeriesResponse } from '../query/series/query.ts'

export function seriesFrame(answer: SeriesResponse, cursor: string): Uint8Array<ArrayBuffer> {
  const raw = answer.runs.some((r) => r.raw !== undefined)
  const ys = answer.runs.map((r) => r.y.toFrame())
  const raws = raw ? answer.runs.map((r) => (r.raw ?? r.y).toFrame()) : []
  const header: SeriesFrameHeader = {
    key: answer.key,
    x: answer.x,
    exact: answer.exact,
    cursor,
    length: answer.grid.length,
    raw,
    runs: answer.runs.map((r, i) => ({
      runId: r.runId,
      ...(ys[i]!.nanAt ? { nanAt: ys[i]!.nanAt } : {}),
      ...(raws[i]?.nanAt ? { rawNanAt: raws[i]!.nanAt } : {}),
    })),
  }
  return encodeSeriesFrame(header, answer.grid, [...ys, ...raws].map((c) => c.values))
}
