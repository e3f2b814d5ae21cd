// The comparison panel: the selected runs side by side (differing params
// marked), parallel coordinates of params → a metric over the filtered runs
// with brushing, and a scatter plot of any two columns.
import { For, Show, createMemo, createResource, createSignal } from 'solid-js'
import type { RunKeys } from '../../../protocol/index.ts'
import { fetchRunsPage } from '../api.ts'
import { colorFor } from '../colors.ts'
import { columnId } from '../columns.ts'
import { formatMetric } from '../format.ts'
import { runIdFilter } from '../live/live-feed.ts'
import type { CellValue } from '../state/run-pages.ts'
import { buildAxis, type Brush } from './axes.ts'
import { ParallelCoordinates } from './ParallelCoordinates.tsx'
import { Scatter } from './Scatter.tsx'

/** Runs drawn in the plots: enough to see a sweep, few enough to stay a picture. */
const PLOTTED_RUNS = 1000
const MAX_PARAM_AXES = 12

export interface CompareViewProps {
  experimentIds: string[]
  /** The user's filter (not the brushes: the plots show what is brushed away, faintly). */
  filter: string
  keys: RunKeys
  metric: string | undefined
  selected: ReadonlySet<string>
  onToggle: (runId: string) => void
  brushes: Brush[]
  onBrush: (brushes: Brush[]) => void
  /** Bumped on live changes. */
  version: number
}

const show = (v: CellValue | undefined) => (typeof v === 'number' ? formatMetric(v) : v === null || v === undefined ? '—' : String(v))

export function CompareView(props: CompareViewProps) {
  const [metric, setMetric] = createSignal<string | undefined>(props.metric)
  const chosenMetric = () => metric() ?? props.metric ?? props.keys.metrics[0]
  const paramColumns = createMemo(() => props.keys.params.slice(0, MAX_PARAM_AXES).map((k) => columnId('param', k)))

  const [plotted] = createResource(
    () => ({ exps: props.experimentIds, filter: props.filter, params: paramColumns(), metric: chosenMetric(), v: props.version }),
    async (q) => {
      const columns = ['run_name', ...q.params, ...(q.metric ? [columnId('metric', q.metric)] : [])]
      return fetchRunsPage({ experimentIds: q.exps, filter: q.filter, orderBy: [], columns }, 0, PLOTTED_RUNS)
    },
  )
  const names = createMemo(() => Object.fromEntries((plotted.latest?.runIds ?? []).map((id, i) => [id, String(plotted.latest!.columns.run_name?.[i] ?? '')])))
  const axes = createMemo(() => {
    const page = plotted.latest
    if (!page) return []
    return Object.keys(page.columns).filter((c) => c !== 'run_name').map((c) => buildAxis(c, page.columns[c]!))
  })
  const [scatterX, setScatterX] = createSignal<string>()
  const [scatterY, setScatterY] = createSignal<string>()
  const axisOf = (column: string | undefined, fallback: number) => axes().find((a) => a.column === column) ?? axes()[fallback]

  const selectedIds = createMemo(() => [...props.selected].sort())
  const [sideBySide] = createResource(
    () => ({ ids: selectedIds(), keys: props.keys, v: props.version }),
    async ({ ids, keys }) => {
      if (ids.length === 0) return undefined
      const columns = ['run_name', 'status', ...keys.params.map((k) => columnId('param', k)), ...keys.metrics.map((k) => columnId('metric', k))]
      return fetchRunsPage({ experimentIds: props.experimentIds, filter: runIdFilter(ids), orderBy: [], columns }, 0, ids.length)
    },
  )
  const rows = createMemo(() => {
    const page = sideBySide.latest
    if (!page) return []
    return Object.keys(page.columns).filter((c) => c !== 'run_name').map((c) => {
      const values = page.columns[c]!
      return { column: c, values, differs: new Set(values.map((v) => JSON.stringify(v))).size > 1 }
    })
  })

  return (
    <div class="compare" data-testid="compare-view">
      <section class="compare-plots">
        <header class="chart-controls">
          <b>Parameters → </b>
          <select data-testid="compare-metric" onChange={(e) => setMetric(e.currentTarget.value)}>
            <For each={props.keys.metrics}>{(k) => <option value={k} selected={k === chosenMetric()}>{k}</option>}</For>
          </select>
          <span class="muted">Drag on an axis to filter; click it to clear. {plotted.latest ? `${plotted.latest.runIds.length} of ${plotted.latest.total} runs drawn` : ''}</span>
          <Show when={props.brushes.length > 0}>
            <button type="button" onClick={() => props.onBrush([])}>Clear brushes</button>
          </Show>
        </header>
        <Show when={axes().length > 0} fallback={<p class="muted">{plotted.loading ? 'Loading…' : 'No parameters or metrics to compare.'}</p>}>
          <ParallelCoordinates axes={axes()} runIds={plotted.latest!.runIds} brushes={props.brushes} onBrush={props.onBrush} selected={props.selected} />
          <div class="scatter-controls chart-controls">
            <label>x <select onChange={(e) => setScatterX(e.currentTarget.value)}><For each={axes()}>{(a, i) => <option value={a.column} selected={a.column === (scatterX() ?? axes()[0]?.column) || (!scatterX() && i() === 0)}>{a.label}</option>}</For></select></label>
            <label>y <select onChange={(e) => setScatterY(e.currentTarget.value)}><For each={axes()}>{(a) => <option value={a.column} selected={a.column === (scatterY() ?? axes().at(-1)?.column)}>{a.label}</option>}</For></select></label>
          </div>
          <Scatter x={axisOf(scatterX(), 0)!} y={axisOf(scatterY(), axes().length - 1)!} axes={axes()} brushes={props.brushes} runIds={plotted.latest!.runIds} names={names()} selected={props.selected} onToggle={props.onToggle} />
        </Show>
      </section>
      <section class="side-by-side">
        <Show when={sideBySide.latest} fallback={<p class="muted">Select runs in the table to compare them side by side.</p>}>
          {(page) => (
            <table class="kv compare-table" data-testid="compare-table">
              <thead>
                <tr>
                  <th />
                  <For each={page().runIds}>{(id, i) => <th><i class="swatch" style={{ background: colorFor(id) }} /> {String(page().columns.run_name?.[i()] ?? id.slice(0, 8))}</th>}</For>
                </tr>
              </thead>
              <tbody>
                <For each={rows()}>
                  {(row) => (
                    <tr classList={{ differs: row.differs }} data-differs={row.differs ? 'true' : 'false'}>
                      <td>{row.column}</td>
                      <For each={row.values}>{(v) => <td>{show(v)}</td>}</For>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          )}
        </Show>
      </section>
    </div>
  )
}
