// A series that stays small however long a run logs: past `cap` points the
// older half is thinned to half as many points (spikes and NaN kept), so a
// wall display that runs for days holds a flat amount of memory.
import { mergeIncreasing, type SeriesData } from '../../../protocol/index.ts'

export function appendBounded(target: SeriesData, steps: ArrayLike<number>, values: ArrayLike<number>, cap: number): void {
  mergeIncreasing(target, steps, values)
  // A large snapshot can be many times the cap: thin until it fits.
  while (target.step.length > cap) thinOlderHalf(target)
}

function thinOlderHalf(target: SeriesData): void {
  const half = Math.floor(target.step.length / 2)
  // Of each pair keep the point further from the older half's mean: a spike always wins.
  let sum = 0
  let n = 0
  for (let i = 0; i < half; i++) {
    const v = target.value[i]!
    if (Number.isFinite(v)) {
      sum += v
      n++
    }
  }
  const mean = n ? sum / n : 0
  const distance = (v: number) => (Number.isFinite(v) ? Math.abs(v - mean) : Infinity)
  const step: number[] = []
  const value: number[] = []
  for (let i = 0; i < half; i += 2) {
    const keep = i + 1 < half && distance(target.value[i + 1]!) > distance(target.value[i]!) ? i + 1 : i
    step.push(target.step[keep]!)
    value.push(target.value[keep]!)
  }
  target.step = step.concat(target.step.slice(half))
  target.value = value.concat(target.value.slice(half))
}
