// Chart colours from the page's CSS variables, so charts follow the OS theme
// (and its changes) like the rest of the app.
export interface ChartTheme {
  text: string
  grid: string
  /** The page behind the chart (the chart's own background is transparent). */
  background: string
}

export function chartTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement)
  return { text: css.getPropertyValue('--fg').trim() || '#333', grid: css.getPropertyValue('--grid').trim() || '#eee', background: css.getPropertyValue('--bg').trim() || '#fff' }
}

/** Calls `fn` when the OS switches between light and dark. */
export function onThemeChange(fn: () => void): () => void {
  const query = matchMedia('(prefers-color-scheme: dark)')
  query.addEventListener('change', fn)
  return () => query.removeEventListener('change', fn)
}
