// What the explorer shows, as it lives in the URL: a reload restores it and a
// link reproduces it. Pure: parse and serialize, with defaults left out of the URL.

import type { Brush } from '../compare/axes.ts'

export type XMode = 'step' | 'relative' | 'wall'

export interface SortTerm {
  column: string
  desc: boolean
}

export interface ViewState {
  experiments: string[]
  filter: string
  sort: SortTerm[]
  /** Chosen columns beyond the fixed ones: `params.lr`, `metrics.loss`, `metrics.min.loss`, `tags.model`. */
  columns: string[]
  selected: string[]
  /** One chart panel per metric. */
  metrics: string[]
  /** TensorBoard's EMA weight; 0 draws the raw curve. */
  smoothing: number
  logY: boolean
  x: XMode
  /** Lower panel: the run charts or the comparison of the selected runs. */
  panel: 'charts' | 'compare'
  /** The early-stopping rule drawn on the charts (median band, stop markers, candidates). */
  stopping: 'off' | 'median' | 'vizier' | 'asha'
  /** Brushed spans of the parallel coordinates' axes: they filter the table and charts. */
  brushes: Brush[]
}

export const DEFAULT_VIEW: ViewState = {
  experiments: [], filter: '', sort: [], columns: [], selected: [], metrics: [], smoothing: 0, logY: false, x: 'step', panel: 'charts', stopping: 'off', brushes: [],
}

const LIST_SEPARATOR = ','
const STOPPING = ['median', 'vizier', 'asha'] as const

function list(value: string | null): string[] {
  return value ? value.split(LIST_SEPARATOR).filter((s) => s !== '') : []
}

/** Column names may hold commas (backticked keys): each list entry is URI-encoded once more. */
function encodedList(value: string | null): string[] {
  return list(value).map((s) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  })
}

export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search)
  const smoothing = Number(q.get('smooth') ?? 0)
  const x = q.get('x')
  return {
    experiments: list(q.get('experiments') ?? q.get('experiment')),
    filter: q.get('filter') ?? '',
    sort: encodedList(q.get('sort')).map((s) => (s.startsWith('-') ? { column: s.slice(1), desc: true } : { column: s, desc: false })),
    columns: encodedList(q.get('columns')),
    selected: list(q.get('selected')),
    metrics: encodedList(q.get('metrics') ?? q.get('metric')),
    smoothing: Number.isFinite(smoothing) && smoothing >= 0 && smoothing < 1 ? smoothing : 0,
    logY: q.get('log') === '1',
    x: x === 'relative' || x === 'wall' ? x : 'step',
    panel: q.get('panel') === 'compare' ? 'compare' : 'charts',
    stopping: STOPPING.find((r) => r === q.get('stop')) ?? 'off',
    brushes: q.getAll('brush').flatMap(parseBrush),
  }
}

/** A brush as `column lo hi clause` in a JSON array; anything else is left out. */
function parseBrush(text: string): Brush[] {
  try {
    const [column, lo, hi, clause] = JSON.parse(text) as unknown[]
    const ok = typeof column === 'string' && typeof lo === 'number' && typeof hi === 'number' && typeof clause === 'string' && lo <= hi
    return ok ? [{ column, lo, hi, clause }] : []
  } catch {
    return []
  }
}

export function serializeViewState(state: ViewState): string {
  const q = new URLSearchParams()
  const enc = (items: string[]) => items.map(encodeURIComponent).join(LIST_SEPARATOR)
  if (state.experiments.length) q.set('experiments', state.experiments.join(LIST_SEPARATOR))
  if (state.filter.trim()) q.set('filter', state.filter)
  if (state.sort.length) q.set('sort', enc(state.sort.map((s) => `${s.desc ? '-' : ''}${s.column}`)))
  if (state.columns.length) q.set('columns', enc(state.columns))
  if (state.selected.length) q.set('selected', state.selected.join(LIST_SEPARATOR))
  if (state.metrics.length) q.set('metrics', enc(state.metrics))
  if (state.smoothing > 0) q.set('smooth', String(state.smoothing))
  if (state.logY) q.set('log', '1')
  if (state.x !== 'step') q.set('x', state.x)
  if (state.panel !== 'charts') q.set('panel', state.panel)
  if (state.stopping !== 'off') q.set('stop', state.stopping)
  // One parameter per brush: a brush's clause holds commas, and a list would have to encode it twice.
  for (const b of state.brushes) q.append('brush', JSON.stringify([b.column, b.lo, b.hi, b.clause]))
  const text = q.toString()
  return text ? `?${text}` : ''
}
