// One lightweight-charts panel overlaying the runs' curves of one metric.
// Whole series are set once; live points go through series.update(), so a
// new point never redraws the panel from scratch.
import { createEffect, onCleanup, onMount } from 'solid-js'
import {
  createOptionsChart,
  LineSeries,
  PriceScaleMode,
  type IChartApiBase,
  type ISeriesApi,
  type LineData,
  type WhitespaceData,
} from 'lightweight-charts'
import { colorFor } from '../colors.ts'
import type { SeriesBuffer, SeriesData } from '../state/series-buffer.ts'

type Point = LineData<number> | WhitespaceData<number>

/** NaN and ±Inf cannot be drawn: they become gaps. */
function toPoint(step: number, value: number): Point {
  return Number.isFinite(value) ? { time: step, value } : { time: step }
}

function toPoints(data: SeriesData, from = 0): Point[] {
  const out: Point[] = []
  for (let i = from; i < data.step.length; i++) out.push(toPoint(data.step[i]!, data.value[i]!))
  return out
}

export function LiveChart(props: { buffer: SeriesBuffer; metricKey: string; logScale: boolean }) {
  let el!: HTMLDivElement
  let chart: IChartApiBase<number> | undefined
  const lines = new Map<string, ISeriesApi<'Line', number>>()

  const dark = matchMedia('(prefers-color-scheme: dark)').matches
  // Until zoom and pan arrive, the panel always shows every step; refitting once per frame is enough.
  let fitQueued = false
  const afterChange = () => {
    el.setAttribute('data-points', String(props.buffer.pointCount))
    if (fitQueued) return
    fitQueued = true
    requestAnimationFrame(() => {
      fitQueued = false
      chart?.timeScale().fitContent()
    })
  }

  const lineFor = (runId: string) => {
    let line = lines.get(runId)
    if (!line) {
      line = chart!.addSeries(LineSeries, {
        color: colorFor(runId),
        lineWidth: 2,
        lastValueVisible: false,
        priceLineVisible: false,
        priceFormat: { type: 'custom', formatter: (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(4)), minMove: 1e-9 },
      })
      lines.set(runId, line)
    }
    return line
  }

  const redrawAll = () => {
    for (const line of lines.values()) chart!.removeSeries(line)
    lines.clear()
    for (const [runId, data] of props.buffer.entries()) lineFor(runId).setData(toPoints(data))
    afterChange()
  }

  onMount(() => {
    chart = createOptionsChart(el, {
      autoSize: true,
      layout: { background: { color: 'transparent' }, textColor: dark ? '#c9d1d9' : '#333', attributionLogo: false },
      grid: { vertLines: { color: dark ? '#222a33' : '#eee' }, horzLines: { color: dark ? '#222a33' : '#eee' } },
      rightPriceScale: { mode: props.logScale ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal },
      timeScale: { enableConflation: true, minBarSpacing: 0.001 },
    })
    redrawAll()
    const stop = props.buffer.listen((change) => {
      if (change.type === 'reset') return redrawAll()
      const data = props.buffer.get(change.runId)
      if (change.type === 'replace' || !data) {
        const old = lines.get(change.runId)
        if (!data) {
          if (old) chart!.removeSeries(old)
          lines.delete(change.runId)
        } else lineFor(change.runId).setData(toPoints(data))
      } else {
        const line = lineFor(change.runId)
        const start = change.replacedLast ? change.from - 1 : change.from
        for (let i = start; i < data.step.length; i++) line.update(toPoint(data.step[i]!, data.value[i]!))
      }
      afterChange()
    })
    onCleanup(() => {
      stop()
      chart?.remove()
      chart = undefined
    })
  })

  createEffect(() => {
    chart?.applyOptions({ rightPriceScale: { mode: props.logScale ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal } })
  })

  return <div class="chart" ref={el} data-testid="live-chart" data-metric={props.metricKey} />
}
