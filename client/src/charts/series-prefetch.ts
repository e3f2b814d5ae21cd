// The charts' first series queries, started before the app's code is even
// loaded: a link or a reload that names runs and metrics has its curves
// computed on the server while the page boots, instead of after the app has
// rendered. The inline boot script has sent them (boot.ts) in a built page;
// the entry script sends them otherwise (the dev server has no boot script).
// A panel takes the answer if it asks for the same thing; otherwise it is dropped.
import { fetchSeries, readSeries, type SeriesAnswer, type SeriesRequest } from '../api.ts'
import type { ViewState } from '../state/view-state.ts'
import { firstChartRequests } from './series-budget.ts'
import { takeSeriesRead } from './series-handoff.ts'

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

/** Starts the series queries of the chart panels this view opens with (only when the runs are named), or adopts the boot script's. */
export function prefetchCharts(view: ViewState): void {
  for (const request of firstChartRequests(view)) {
    const sent = takeSeriesRead(request)
    const answer = sent ? sent.then(readSeries) : fetchSeries(request)
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
