// get-history's bytes, written from columns, against JSON.stringify of the
// objects MLflow's shape describes.
import { describe, expect, it } from 'vitest'
import { toWire } from '../protocol/index.ts'
import { historyJson } from '../server/routes/history-json.ts'

function expected(key: string, steps: number[], timestamps: number[], values: number[], token?: string): string {
  const metrics = values.map((v, i) => ({ key, value: toWire(v), timestamp: timestamps[i], step: steps[i] }))
  return JSON.stringify({ ...(metrics.length > 0 ? { metrics } : {}), ...(token === undefined ? {} : { next_page_token: token }) })
}

describe('get-history JSON', () => {
  it('equals JSON.stringify of the points, for every kind of number', () => {
    const values = [0, -0, 1, -1.5, 0.1, 1e-7, 1.7976931348623157e308, 5e-324, NaN, Infinity, -Infinity, 123456789.123, Math.PI]
    const steps = [0, -1, 10, 9_007_199_254_740_991, -9_007_199_254_740_991, 2 ** 60, 1e21, 0.5, 3, 4, 5, 6, 7]
    const timestamps = steps.map((_, i) => 1_700_000_000_000 + i * 1000 + (i === 7 ? 0.25 : 0))
    const key = 'loss/"val"\u00e9'
    for (const token of [undefined, 'eyJvZmZzZXQiOjEwMH0=']) {
      const bytes = historyJson(key, { steps: Float64Array.from(steps), timestamps: Float64Array.from(timestamps), values: Float64Array.from(values), count: values.length }, token)
      expect(bytes.toString('utf8')).toBe(expected(key, steps, timestamps, values, token))
    }
  })

  it('writes only `count` points, and an empty page as MLflow does', () => {
    const cols = { steps: Float64Array.from([1, 2, 3]), timestamps: Float64Array.from([4, 5, 6]), values: Float64Array.from([7, 8, 9]) }
    expect(JSON.parse(historyJson('m', { ...cols, count: 2 }).toString()).metrics).toEqual([
      { key: 'm', value: 7, timestamp: 4, step: 1 },
      { key: 'm', value: 8, timestamp: 5, step: 2 },
    ])
    expect(historyJson('m', { ...cols, count: 0 }).toString()).toBe('{}')
    expect(historyJson('m', { ...cols, count: 0 }, 'next').toString()).toBe('{"next_page_token":"next"}')
  })
})
