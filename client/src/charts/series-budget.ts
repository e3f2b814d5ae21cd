// How many grid points a chart panel reads, and the reads a link's chart
// panels open with. Shared by the inline boot script (boot.ts), the entry
// script's prefetch and the panels, so that all three ask for the same thing.
import type { SeriesRequest } from '../api.ts'
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

/** The first series reads of the chart panels this view opens with: none unless it names its runs. */
export function firstChartRequests(view: ViewState): SeriesRequest[] {
  if (view.panel !== 'charts' || view.selected.length === 0) return []
  const runIds = view.selected.slice(0, MAX_CHARTED_RUNS)
  const budget = firstPaintBudget(estimatedPanelWidth(view.metrics.length), runIds.length)
  return view.metrics.map((key) => ({ runIds, key, x: view.x, budget, smoothing: view.smoothing }))
}
