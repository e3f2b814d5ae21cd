// A run's curve on a tile: a canvas redrawn at most once per frame when the
// series changes; the series itself is bounded (bounded-series.ts). Optional
// reference curves (the best finished runs) are drawn faintly behind it over
// the same steps, so a live run is seen against what good looks like there.
import { createEffect, onCleanup, onMount } from 'solid-js'
import type { SeriesData } from '../../../protocol/index.ts'

export function Sparkline(props: { data: () => SeriesData | undefined; version: number; color: string; references?: () => SeriesData[] }) {
  let canvas!: HTMLCanvasElement
  let frame = 0
  const draw = () => {
    frame = 0
    const data = props.data()
    if (!data || data.step.length < 2) return
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    const w = (canvas.width = canvas.clientWidth * devicePixelRatio)
    const h = (canvas.height = canvas.clientHeight * devicePixelRatio)
    ctx.clearRect(0, 0, w, h)
    const x0 = data.step[0]!
    const x1 = data.step[data.step.length - 1]!
    const references = (props.references?.() ?? []).map((r) => clip(r, x0, x1))
    let lo = Infinity
    let hi = -Infinity
    for (const s of [data, ...references]) {
      for (const v of s.value) {
        if (!Number.isFinite(v)) continue
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
    }
    if (!Number.isFinite(lo)) return
    const sx = (x: number) => ((x - x0) / Math.max(1e-9, x1 - x0)) * (w - 2) + 1
    const sy = (y: number) => h - 2 - ((y - lo) / Math.max(1e-12, hi - lo)) * (h - 4)
    const line = (s: SeriesData, style: string, width: number) => {
      ctx.strokeStyle = style
      ctx.lineWidth = width * devicePixelRatio
      ctx.beginPath()
      let pen = false
      for (let i = 0; i < s.step.length; i++) {
        const v = s.value[i]!
        if (!Number.isFinite(v)) {
          pen = false
          continue
        }
        if (pen) ctx.lineTo(sx(s.step[i]!), sy(v))
        else ctx.moveTo(sx(s.step[i]!), sy(v))
        pen = true
      }
      ctx.stroke()
    }
    const faint = getComputedStyle(canvas).getPropertyValue('--muted').trim() || '#888'
    ctx.globalAlpha = 0.45
    for (const r of references) line(r, faint, 1.5)
    ctx.globalAlpha = 1
    line(data, props.color, 2)
  }
  createEffect(() => {
    void props.version
    void props.references?.()
    if (!frame) frame = requestAnimationFrame(draw)
  })
  onMount(draw)
  onCleanup(() => cancelAnimationFrame(frame))
  return <canvas class="wall-spark" ref={canvas} />
}

/** The part of a series within [x0, x1]. */
function clip(s: SeriesData, x0: number, x1: number): SeriesData {
  let from = 0
  while (from < s.step.length && s.step[from]! < x0) from++
  let to = from
  while (to < s.step.length && s.step[to]! <= x1) to++
  return { step: s.step.slice(from, to), value: s.value.slice(from, to) }
}
