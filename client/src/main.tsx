// The entry script: kept small, so the series queries a link names start
// before the app's code (charts, table) has loaded, and each view loads only
// its own code.
import { render } from 'solid-js/web'
import { prefetchCharts } from './charts/series-prefetch.ts'
import { parseViewState } from './state/view-state.ts'
import './styles.css'

const root = document.getElementById('root')!
if (location.pathname.startsWith('/wall')) {
  const { WallView } = await import('./wall/WallView.tsx')
  render(() => <WallView />, root)
} else {
  // The app's code is asked for first: the server answers it at once, before it gets busy with the series.
  const app = import('./App.tsx')
  if (!location.pathname.startsWith('/runs/')) prefetchCharts(parseViewState(location.search))
  const { App } = await app
  performance.mark('app-loaded')
  render(() => <App />, root)
  performance.mark('app-rendered')
}
