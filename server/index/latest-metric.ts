// A series' summary as MLflow defines "latest" — the point with the largest
// (step, timestamp, value) — plus min and max (NaN ignored), a count and the
// newest timestamp, folded in batch by batch so the index never re-scans old points.

export interface LatestMetric {
  value: number
  step: number
  timestamp: number
  min: number
  max: number
  count: number
  /** The newest point's time, whatever its step (a resumed run may log lower steps again). */
  lastTimestamp: number
  /** The smallest step (`step` is the largest): with it a chart knows a series' extent without a query. */
  firstStep: number
}

/** Compares values with NaN above everything, as DuckDB orders them. */
function compareValue(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1
  if (Number.isNaN(b)) return -1
  return a < b ? -1 : a > b ? 1 : 0
}

export function foldPoints(
  current: LatestMetric | undefined,
  step: ArrayLike<number>,
  timestamp: ArrayLike<number>,
  value: ArrayLike<number>,
): LatestMetric | undefined {
  let s = current ? { ...current } : undefined
  for (let i = 0; i < value.length; i++) {
    const v = value[i]!
    if (!s) {
      s = { value: v, step: step[i]!, timestamp: timestamp[i]!, min: NaN, max: NaN, count: 0, lastTimestamp: timestamp[i]!, firstStep: step[i]! }
    } else if (
      step[i]! > s.step ||
      (step[i] === s.step && (timestamp[i]! > s.timestamp || (timestamp[i] === s.timestamp && compareValue(v, s.value) > 0)))
    ) {
      s.value = v
      s.step = step[i]!
      s.timestamp = timestamp[i]!
    }
    if (!Number.isNaN(v)) {
      if (!(s.min <= v)) s.min = v
      if (!(s.max >= v)) s.max = v
    }
    if (timestamp[i]! > s.lastTimestamp) s.lastTimestamp = timestamp[i]!
    if (step[i]! < s.firstStep) s.firstStep = step[i]!
    s.count++
  }
  return s
}
