// A run's curve on a tile: a canvas redrawn at most once per frame when the
// series changes; the series itself is bounded (bounded-series.ts).
import { createEffect, onCleanup, onMount } from 'solid-js'
import type { SeriesData } from '../../../protocol/index.ts'

export function Sparkline(props: { data: () => SeriesData | undefined; version: number; color: string }) {
  let canvas!: HTMLCanvasElement
  let frame = 0
  const draw = () => {
    frame = 0
    const data = props.data()
    if (!data) return
    const { step, value } = data
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    const w = (canvas.width = canvas.clientWidth * devicePixelRatio)
    const h = (canvas.height = canvas.clientHeight * devicePixelRatio)
    ctx.clearRect(0, 0, w, h)
    let lo = Infinity
    let hi = -Infinity
    let finite = 0
    for (const v of value) {
      if (!Number.isFinite(v)) continue
      finite++
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    if (finite < 2) return
    const x0 = step[0]!
    const x1 = step[step.length - 1]!
    const sx = (x: number) => ((x - x0) / Math.max(1e-9, x1 - x0)) * (w - 2) + 1
    const sy = (y: number) => h - 2 - ((y - lo) / Math.max(1e-12, hi - lo)) * (h - 4)
    ctx.strokeStyle = props.color
    ctx.lineWidth = 2 * devicePixelRatio
    ctx.beginPath()
    let pen = false
    for (let i = 0; i < step.length; i++) {
      const v = value[i]!
      if (!Number.isFinite(v)) {
        pen = false
        continue
      }
      if (pen) ctx.lineTo(sx(step[i]!), sy(v))
      else ctx.moveTo(sx(step[i]!), sy(v))
      pen = true
    }
    ctx.stroke()
  }
  createEffect(() => {
    void props.version
    if (!frame) frame = requestAnimationFrame(draw)
  })
  onMount(draw)
  onCleanup(() => cancelAnimationFrame(frame))
  return <canvas class="wall-spark" ref={canvas} />
}
