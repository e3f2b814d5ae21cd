// How the chart's x values read, on the axis and in the legend: steps as
// whole numbers, relative time as a duration (1m30s, 2h05m), wall time as a
// local date and time. Pure.
import type { XMode } from '../state/view-state.ts'

const DAY_MS = 86_400_000
const pad = (n: number) => String(n).padStart(2, '0')

/** A duration in milliseconds, to the precision that matters at its size: 450ms, 12.5s, 1m30s, 2h05m, 3d04h. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms)) return ''
  if (ms < 0) return `-${formatElapsed(-ms)}`
  if (ms === 0) return '0s'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))}s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${pad(s % 60)}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${pad(m % 60)}m`
  return `${Math.floor(h / 24)}d${pad(h % 24)}h`
}

/**
 * A wall-clock time (epoch milliseconds) in local time. `span` is how much
 * time the axis covers: within a day the time of day is enough, the seconds
 * matter under an hour, the milliseconds under a minute.
 */
export function formatWall(ms: number, span: number): string {
  if (!Number.isFinite(ms)) return ''
  const d = new Date(ms)
  const minutes = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  const seconds = `${minutes}:${pad(d.getSeconds())}`
  const time = span < 60_000 ? `${seconds}.${String(d.getMilliseconds()).padStart(3, '0')}` : span < 3_600_000 ? seconds : minutes
  if (span < DAY_MS) return time
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

/** The legend's reading of x: the whole date and time for wall time. */
export function formatX(mode: XMode, x: number): string {
  if (mode === 'wall') {
    const d = new Date(x)
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatWall(x, 0)}`
  }
  if (mode === 'relative') return formatElapsed(x)
  return String(Math.round(x))
}

/** An axis tick of x, for an axis covering `span`. */
export function formatXTick(mode: XMode, x: number, span: number): string {
  if (mode === 'wall') return formatWall(timeTick(x, span).snapped, span)
  if (mode === 'relative') return formatElapsed(timeTick(x, span).snapped)
  return formatX(mode, x)
}

/** The longest tick label of the mode, in characters: lightweight-charts spaces ticks by it. */
export function xTickLength(mode: XMode, span: number): number {
  if (mode === 'wall') return span < 60_000 ? 12 : span < 3_600_000 ? 8 : span < DAY_MS ? 5 : 11
  return mode === 'relative' ? 6 : 8
}

/**
 * A time tick counts as on a unit when it is within this fraction of the
 * axis' span of a multiple: logged times are milliseconds that rarely fall on
 * a whole second, and a tick a pixel or two off one reads as that second (the
 * label names the second; the curve's points stay where they are).
 */
const TICK_SNAP = 0.004

/** The longest time unit x lies on (within TICK_SNAP of the span), its weight, and that multiple. */
function timeTick(x: number, span: number): { weight: number; snapped: number } {
  const slack = Math.max(0, span) * TICK_SNAP
  for (let i = TIME_UNITS.length - 1; i >= 0; i--) {
    const unit = TIME_UNITS[i]!
    const snapped = Math.round(x / unit) * unit
    if (Math.abs(x - snapped) <= slack) return { weight: i + 1, snapped }
  }
  return { weight: 0, snapped: x }
}

/** Time units a tick on a time axis can fall on, in milliseconds: a multiple of a longer one is a better tick. */
const TIME_UNITS = [1, 10, 100, 1000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000]

/**
 * How good a tick x makes: lightweight-charts labels the items of the axis,
 * choosing those of the highest weight that fit. Steps prefer round numbers
 * at any scale (a multiple of 1000 over one of 500, 200, 100 …); times prefer
 * whole seconds, minutes, hours (`span`: the axis' extent, see TICK_SNAP).
 */
export function tickWeight(mode: XMode, x: number, span = 0): number {
  if (!Number.isFinite(x)) return 0
  if (mode !== 'step') return timeTick(x, span).weight
  if (!Number.isInteger(x)) return 0
  if (x === 0) return 100
  let zeros = 0
  let rest = Math.abs(x)
  while (rest % 10 === 0 && zeros < 20) {
    rest /= 10
    zeros++
  }
  return 1 + 3 * zeros + (rest % 5 === 0 ? 2 : rest % 2 === 0 ? 1 : 0)
}
