// The charts' first series queries, started by the entry script before the
// app's code is even loaded: a link or a reload that names runs and metrics
// has its curves computed on the server while the page boots, instead of
// after the app has rendered. A panel takes the answer if it asks for the
// same thing; otherwise it is dropped.
import { fetchSeries, type SeriesAnswer, type SeriesRequest } from '../api.ts'
import type { ViewState } from '../state/view-state.ts'

/** At most this many runs are charted at once. */
export const MAX_CHARTED_RUNS = 100
/** At most about this many points drawn per panel: every frame strokes them all. */
const DRAWN_POINTS = 100_000
/**
 * The first paint of a panel draws at most about this many points per pixel
 * column, all its curves together, and reads the full detail right after:
 * for 100 runs the first answer is a third of the full one (180 KB instead
 * of 560 KB of JSON, and a shorter query), and the curves show while the
 * rest is read.
 */
const FIRST_PAINT_POINTS_PER_PIXEL = 20

/** About one grid point per pixel and a half of the panel, and at most DRAWN_POINTS in all. */
export function seriesBudget(panelWidth: number, runs: number): number {
  return Math.max(100, Math.min(Math.round(panelWidth * 1.5), Math.round(DRAWN_POINTS / Math.max(1, runs))))
}

/** The first paint's budget: seriesBudget's, or less when many curves share the panel. */
export function firstPaintBudget(panelWidth: number, runs: number): number {
  return Math.min(seriesBudget(panelWidth, runs), Math.max(100, Math.round((panelWidth * FIRST_PAINT_POINTS_PER_PIXEL) / Math.max(1, runs))))
}

/**
 * A panel's width before the page is laid out: the chart grid's columns
 * (styles.css: padding 16 px, cards of at least 420 px with 12 px gaps).
 */
export function estimatedPanelWidth(panels: number): number {
  const width = Math.max(0, window.innerWidth - 32)
  const columns = Math.max(1, Math.min(panels, Math.floor((width + 12) / 432)))
  return (width - 12 * (columns - 1)) / columns - 18
}

/** What identifies an answer: the budget is left out, a slightly different width draws the same curves. */
const keyOf = (r: SeriesRequest) => JSON.stringify([r.runIds, r.key, r.x, r.smoothing ?? 0, r.range ?? null])

const started = new Map<string, Promise<SeriesAnswer>>()

/**
 * The prefetched answers not yet painted by their panels. While some are,
 * the rest of the explorer holds back its own reads (experiments, keys, the
 * table's rows): their answers came in while the first curves were being
 * drawn, and rendering a hundred table rows before the chart's frame delayed
 * the curves a user opened the link for.
 */
let unpainted = 0
let releaseReads: () => void = () => undefined
const readsReleased = new Promise<void>((resolve) => (releaseReads = resolve))
/** A prefetched answer no panel takes (the view changed while loading) holds nothing back for longer than this. */
const HOLD_READS_AT_MOST_MS = 3000

/** Starts the series queries of the chart panels this view opens with (only when the runs are named). */
export function prefetchCharts(view: ViewState): void {
  if (view.panel !== 'charts' || view.selected.length === 0) return
  const runIds = view.selected.slice(0, MAX_CHARTED_RUNS)
  const budget = firstPaintBudget(estimatedPanelWidth(view.metrics.length), runIds.length)
  for (const key of view.metrics) {
    const request: SeriesRequest = { runIds, key, x: view.x, budget, smoothing: view.smoothing }
    const answer = fetchSeries(request)
    // Nobody may ever take it (another view by then): no unhandled rejection.
    answer.catch(() => undefined)
    started.set(keyOf(request), answer)
  }
  unpainted = started.size
  if (unpainted > 0) setTimeout(releaseReads, HOLD_READS_AT_MOST_MS)
}

/** The explorer's other reads may start: when the prefetched curves are on screen (at once when nothing was prefetched). */
export function prefetchedPainted(): Promise<void> {
  if (unpainted === 0) releaseReads()
  return readsReleased
}

/** A panel has painted a prefetched answer (or failed to read it): one fewer to wait for. */
export function markPrefetchedPainted(): void {
  if (unpainted === 0) return
  if (--unpainted === 0) releaseReads()
}

/** The answer started for this request, once: later reads go to the server. */
export function takePrefetched(request: SeriesRequest): Promise<SeriesAnswer> | undefined {
  const key = keyOf(request)
  const answer = started.get(key)
  started.delete(key)
  return answer
}
