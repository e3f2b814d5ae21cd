import type { WireNumber } from '../../protocol/index.ts'

export function formatMetric(v: WireNumber | undefined): string {
  if (v === undefined) return ''
  if (typeof v === 'string') return v
  if (v === 0) return '0'
  const abs = Math.abs(v)
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(3)
  return Number(v.toPrecision(4)).toString()
}

export function formatDuration(ms: number | null): string {
  if (ms === null || ms < 0) return ''
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

/** Keys in the order people number them: metric_2 before metric_10. */
export const naturalOrder = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })

export function formatAgo(time: number | null, now: number): string {
  if (time === null) return ''
  const d = formatDuration(now - time)
  return d ? `${d} ago` : ''
}
