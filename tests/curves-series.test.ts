// The curves series draws each value where lightweight-charts' own converter puts it.
import { describe, expect, it } from 'vitest'
import { straightConverter, strokeCurve, type CurvesItem } from '../client/src/charts/curves-series.ts'

/** lightweight-charts' linear price scale: a margin, the height, the visible range, inverted. */
const priceScale = (min: number, max: number, height = 600, margin = 12) => (price: number) => height - 1 - (margin + ((height - 2 * margin - 1) * (price - min)) / (max - min))
const bars = (values: number[]) => values.map((v, i) => ({ x: i, time: i, originalData: { time: i, y: [undefined, v] } as CurvesItem, barColor: '' }))

describe('the curves series on a linear price scale', () => {
  for (const [name, values] of [
    ['values around 1', [0.2, 0.9, 1.4, 0.5]],
    ['negative and positive values', [-5, 3, 0, 5]],
    ['values near 1e12 that differ by 1e-3', [1e12, 1e12 + 4e-4, 1e12 + 1e-3]],
    ['tiny values', [1e-9, 3e-9, 2e-9]],
  ] as const) {
    it(`puts ${name} where the price scale does`, () => {
      const toY = priceScale(Math.min(...values), Math.max(...values))
      const y = straightConverter(bars([...values]), { from: 0, to: values.length - 1 }, toY as never)
      for (const v of values) expect(Math.abs(y(v)! - toY(v))).toBeLessThan(1e-3)
    })
  }
})

describe('the curves series after a zoom', () => {
  it('places a curve\'s point left of the view by its index, not by an x kept from an earlier paint', () => {
    // lightweight-charts updated the x of the visible bars (2..4) only; bars 0 and 1 keep stale x values.
    const xs = [900, 950, 20, 30, 40]
    const values = [1, undefined, undefined, 2, undefined]
    const bars = xs.map((x, i) => ({ x, time: i, originalData: { time: i, y: [values[i]] } as CurvesItem, barColor: '' }))
    const path: [string, number][] = []
    const context = { moveTo: (x: number) => path.push(['move', x]), lineTo: (x: number) => path.push(['line', x]) }
    strokeCurve(context, bars, { from: 2, to: 4 }, 10, (item) => item.y[0], (v) => v, 1, 1)
    expect(path).toEqual([['move', 0], ['line', 30]])
  })
})
