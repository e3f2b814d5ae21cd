import { describe, expect, it } from 'vitest'
import { lastPerStep, mergeIncreasing, SeriesBuffer, type SeriesChange } from '../client/src/state/series-buffer.ts'

describe('series for the chart', () => {
  it('keeps steps strictly increasing: the last value of a repeated step wins, older steps are dropped', () => {
    const s = lastPerStep([0, 1, 1, 2], [5, 4, 3, 2])
    expect(s).toEqual({ step: [0, 1, 2], value: [5, 3, 2] })
    const r = mergeIncreasing(s, [1, 2, 3], [9, 1.5, 1])
    expect(s).toEqual({ step: [0, 1, 2, 3], value: [5, 3, 1.5, 1] })
    expect(r).toEqual({ from: 3, replacedLast: true })
  })

  it('tells the chart what changed: a new run, appended points, a reset', () => {
    const buffer = new SeriesBuffer()
    const seen: SeriesChange[] = []
    buffer.listen((c) => seen.push(c))
    buffer.append('a', [0, 1], [1, 0.9])
    buffer.append('a', [2], [0.8])
    buffer.append('a', [1], [7])
    buffer.reset()
    expect(seen).toEqual([
      { type: 'replace', runId: 'a' },
      { type: 'append', runId: 'a', from: 2, replacedLast: false },
      { type: 'reset' },
    ])
    expect(buffer.pointCount).toBe(0)
  })
})
