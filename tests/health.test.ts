import { describe, expect, it } from 'vitest'
import { medianInterval, runHealth } from '../client/src/state/health.ts'

describe('run health on the wall', () => {
  const every = (ms: number, n: number, end: number) => Array.from({ length: n }, (_, i) => end - (n - 1 - i) * ms)

  it('calls a running run stalled after k × its median interval of silence, never under a minute', () => {
    const ts = every(20_000, 20, 1_000_000) // one point every 20 s
    const base = { status: 'RUNNING', lastPointAt: 1_000_000, timestamps: ts, last: 1, best: 1 }
    expect(runHealth(base, 1_000_000 + 199_000)).toBe('ok')
    expect(runHealth(base, 1_000_000 + 201_000)).toBe('stalled')
    const fast = { ...base, timestamps: every(100, 20, 1_000_000) } // 10 per second
    expect(runHealth(fast, 1_000_000 + 59_000)).toBe('ok')
    expect(runHealth(fast, 1_000_000 + 61_000)).toBe('stalled')
    expect(runHealth({ ...fast, status: 'FINISHED' }, 1_000_000 + 600_000)).toBe('ok')
    expect(medianInterval([0, 10, 20, 1000])).toBe(10)
  })

  it('calls a run diverged on NaN/Inf or a value far above its best', () => {
    const base = { status: 'RUNNING', lastPointAt: 1, timestamps: [1], best: 0.5 }
    expect(runHealth({ ...base, last: NaN }, 2)).toBe('diverged')
    expect(runHealth({ ...base, last: Infinity }, 2)).toBe('diverged')
    expect(runHealth({ ...base, last: 1.6 }, 2)).toBe('diverged')
    expect(runHealth({ ...base, last: 1.4 }, 2)).toBe('ok')
  })
})
