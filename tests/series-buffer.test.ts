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

describe('bounded series for the wall', () => {
  it('stays under its cap for a run that logs for days, keeping the newest half exact and the spikes', async () => {
    const { appendBounded } = await import('../client/src/state/bounded-series.ts')
    const s = { step: [] as number[], value: [] as number[] }
    for (let from = 0; from < 200_000; from += 100) {
      const steps = Array.from({ length: 100 }, (_, i) => from + i)
      appendBounded(s, steps, steps.map((x) => (x === 1234 ? 1e6 : Math.sin(x))), 1000)
      expect(s.step.length).toBeLessThanOrEqual(1000)
    }
    expect(s.step.at(-1)).toBe(199_999)
    expect(s.value).toContain(1e6)
    const tail = s.step.slice(-300)
    expect(tail).toEqual(Array.from({ length: 300 }, (_, i) => 199_700 + i))
    expect(s.step.every((x, i) => i === 0 || x > s.step[i - 1]!)).toBe(true)
    // A snapshot far larger than the cap arrives in one piece.
    const big = { step: [] as number[], value: [] as number[] }
    const steps = Array.from({ length: 150_000 }, (_, i) => i)
    appendBounded(big, steps, steps.map((x) => (x === 77 ? -5e5 : 1)), 1000)
    expect(big.step.length).toBeLessThanOrEqual(1000)
    expect(big.value).toContain(-5e5)
  })
})
