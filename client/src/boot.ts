// The inline script at the top of index.html's head (the build inlines it:
// vite.config.ts): a link that names runs and metrics has its first series
// queries sent as the document's first lines are parsed, before the
// stylesheet and the modules are fetched, parsed and run. The server computes
// the curves while Chromium loads the app; the app adopts the reads
// (series-prefetch.ts). Kept to what building the requests needs.
import { startSeries } from './api.ts'
import { firstChartRequests } from './charts/series-budget.ts'
import { leaveSeriesRead } from './charts/series-handoff.ts'
import { parseViewState } from './state/view-state.ts'

if (!location.pathname.startsWith('/wall') && !location.pathname.startsWith('/runs/')) {
  performance.mark('boot-series')
  for (const request of firstChartRequests(parseViewState(location.search))) leaveSeriesRead(request, startSeries(request))
}
