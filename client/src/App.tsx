// The explorer: experiments, filter, a server-paged run table, live chart
// panels or the comparison, and run pages. Everything a link should
// reproduce lives in the URL (state/view-state.ts).
import { For, Match, Show, Switch, createComputed, createEffect, createMemo, createSignal, lazy, on, onCleanup, onMount, untrack } from 'solid-js'
import type { ExperimentSummary, RunKeys, RunSummary, SignalRule } from '../../protocol/index.ts'
import { fetchExperiments, fetchKeys, fetchRunsPage, liveSocketUrl, mostRecentlyActive } from './api.ts'
import { ChartPanel } from './charts/ChartPanel.tsx'
import { CrosshairBus } from './charts/crosshair-bus.ts'
import { MAX_CHARTED_RUNS } from './charts/series-budget.ts'
import { prefetchedPainted } from './charts/series-prefetch.ts'
import { assignColors } from './colors.ts'
import { BASE_COLUMNS, PARENT_COLUMN, PREFERRED_METRICS, columnId, orderByClause, parseColumnId, preferred, type ColumnSpec } from './columns.ts'
import type { Brush } from './compare/axes.ts'
import { ColumnPicker } from './components/ColumnPicker.tsx'
import { ExperimentPicker } from './components/ExperimentPicker.tsx'
import { FilterBar, checkFilter } from './components/FilterBar.tsx'
import { LogFirstRun } from './components/LogFirstRun.tsx'
import { RunTable } from './components/RunTable.tsx'
import { isTextEntry } from './components/text-entry.ts'
import type { ConnectionStatus } from './live/connection.ts'
import { naturalOrder } from './format.ts'
import { LiveFeed } from './live/live-feed.ts'
import { RunPages, type CellValue } from './state/run-pages.ts'
import { parseViewState, serializeViewState, type ViewState } from './state/view-state.ts'

// Loaded when first shown: the explorer's first paint does not wait for their code.
const CompareView = lazy(() => import('./compare/CompareView.tsx').then((m) => ({ default: m.CompareView })))
const RunPage = lazy(() => import('./run/RunPage.tsx').then((m) => ({ default: m.RunPage })))

/** Live changes re-read the rows in view at most this often: a live table must stay readable and cheap. */
const TABLE_REFRESH_MS = 1000
/**
 * Live changes to rows on screen are gathered and shown at most this often:
 * a frame of run changes comes with every batch the server takes in (dozens
 * a second), and each redraws the changed rows' cells.
 */
const TABLE_PATCH_MS = 200
/** The table's live subscription for a new filter waits until the filter has held still this long. */
const TABLE_SUBSCRIBE_SETTLE_MS = 300
/** A typed filter reaches the URL once the typing has paused this long (longer than the pause between two keys). */
const URL_TYPING_PAUSE_MS = 500
/** Without a selection, the charts overlay the table's first runs. */
const CHARTED_TOP_RUNS = 10
const PREFERRED_PARAMS = ['lr', 'learning_rate', 'batch_size', 'optimizer']
const DEFAULT_PARAM_COLUMNS = 4
const DEFAULT_METRIC_COLUMNS = 3

const sameList = (a: string[], b: string[]) => a.join('\u0000') === b.join('\u0000')
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

function routeOf(path: string): { page: 'explorer' } | { page: 'run'; runId: string } {
  const m = /^\/runs\/([0-9a-zA-Z_-]+)\/?$/.exec(path)
  return m ? { page: 'run', runId: m[1]! } : { page: 'explorer' }
}

/** The values a run summary gives for table columns (min/max come with the next page read). */
function cellsOf(run: RunSummary, columns: string[]): Record<string, CellValue> {
  const out: Record<string, CellValue> = { run_name: run.name, status: run.status, health: run.health ?? 'ok', start_time: run.startTime, end_time: run.endTime, user_id: run.userId }
  for (const c of columns) {
    const spec = parseColumnId(c)
    if (!spec || spec.aggregate) continue
    if (spec.kind === 'param') out[c] = run.params[spec.key] ?? null
    else if (spec.kind === 'tag') out[c] = run.tags[spec.key] ?? null
    else if (spec.kind === 'metric') out[c] = run.metrics[spec.key]?.value ?? null
  }
  return out
}

export function App() {
  const [route, setRoute] = createSignal(routeOf(location.pathname))
  const [view, setView] = createSignal<ViewState>(parseViewState(location.search))
  const update = (patch: Partial<ViewState>) => setView({ ...view(), ...patch })
  // Each field of the view as its own memo: what reads one field is not run again on every
  // change of another (a keystroke in the filter re-rendered the table's cells and re-read the charts).
  const field = <K extends keyof ViewState>(key: K, equals: (a: ViewState[K], b: ViewState[K]) => boolean = (a, b) => a === b) =>
    createMemo(() => view()[key], undefined, { equals })
  const v = {
    filter: field('filter'), sort: field('sort', sameJson), columns: field('columns', sameList), selected: field('selected', sameList), metrics: field('metrics', sameList),
    smoothing: field('smoothing'), logY: field('logY'), x: field('x'), panel: field('panel'), stopping: field('stopping'),
    brushes: field('brushes', sameJson),
  }
  const brushes = v.brushes
  const setBrushes = (next: Brush[]) => update({ brushes: next })
  const [experiments, setExperiments] = createSignal<ExperimentSummary[]>([])
  const [experimentsLoaded, setExperimentsLoaded] = createSignal(false)
  const [keys, setKeys] = createSignal<RunKeys>({ metrics: [], params: [], tags: [] })
  const [status, setStatus] = createSignal<ConnectionStatus>('connecting')
  const [problem, setProblem] = createSignal<string>()
  /** Something the user should know that is not an error of the current view (it stays until dismissed). */
  const [notice, setNotice] = createSignal<string>()
  const [version, setVersion] = createSignal(0)
  const [lastRunExperiment, setLastRunExperiment] = createSignal<string>()
  const [liveVersion, setLiveVersion] = createSignal(0)
  const live = new LiveFeed(liveSocketUrl(), setStatus)
  onCleanup(() => live.close())
  const crosshair = new CrosshairBus()
  // A link that names charted runs shows their curves first: the table and pickers read theirs once those are painted.
  const [readsOpen, setReadsOpen] = createSignal(false)
  void prefetchedPainted().then(() => setReadsOpen(true))

  // ---- navigation -----------------------------------------------------------
  let explorerSearch = location.pathname.startsWith('/runs/') ? '' : location.search
  const openRun = (runId: string) => {
    writeUrl()
    if (route().page === 'explorer') explorerSearch = location.search
    history.pushState(null, '', `/runs/${runId}`)
    setRoute(routeOf(location.pathname))
  }
  const backToRuns = () => {
    history.pushState(null, '', `/${explorerSearch}`)
    const next = parseViewState(explorerSearch)
    // Opened on a run page directly: back shows that run's experiment.
    const runExperiment = lastRunExperiment()
    setView(next.experiments.length > 0 || !runExperiment ? next : { ...next, experiments: [runExperiment] })
    setRoute(routeOf('/'))
  }
  const onPop = () => {
    setRoute(routeOf(location.pathname))
    if (route().page === 'explorer') setView(parseViewState(location.search))
  }
  onMount(() => addEventListener('popstate', onPop))
  onCleanup(() => removeEventListener('popstate', onPop))

  // The URL follows the view when the page is idle: replaceState costs Chromium ~10-20 ms,
  // which a keystroke in the filter must not wait for before its query is sent.
  // While a filter is typed, the URL waits for a pause in the typing: replaceState
  // also costs the browser process CPU, which on a busy machine each keystroke's
  // page read (server) and table paint (renderer) wait for.
  let urlWrite: number | undefined
  let typing: ReturnType<typeof setTimeout> | undefined
  const writeUrl = () => {
    if (urlWrite !== undefined) cancelIdleCallback(urlWrite)
    clearTimeout(typing)
    urlWrite = typing = undefined
    const search = serializeViewState(untrack(view))
    if (untrack(route).page !== 'explorer' || search === location.search) return
    history.replaceState(null, '', `${location.pathname}${search}`)
  }
  const writeUrlWhenIdle = () => (urlWrite ??= requestIdleCallback(writeUrl, { timeout: 100 }))
  createEffect(on([v.filter, view, route], ([filter], before) => {
    if (before && filter !== before[0]) {
      clearTimeout(typing)
      typing = setTimeout(() => {
        typing = undefined
        writeUrlWhenIdle()
      }, URL_TYPING_PAUSE_MS)
    } else if (typing === undefined) writeUrlWhenIdle()
  }))
  onCleanup(() => {
    if (urlWrite !== undefined) cancelIdleCallback(urlWrite)
    clearTimeout(typing)
  })

  // ---- experiments and keys --------------------------------------------------
  const loadExperiments = async () => {
    try {
      const list = await fetchExperiments()
      setExperiments(list)
      setExperimentsLoaded(true)
      const asked = untrack(view).experiments
      const known = asked.filter((id) => list.some((e) => e.experimentId === id))
      // A link to an experiment the store no longer has (deleted, or another store) says so instead of silently showing another.
      const missing = asked.filter((id) => !known.includes(id))
      if (missing.length > 0) setNotice(`${missing.length === 1 ? 'experiment' : 'experiments'} ${missing.join(', ')} not found in this store; showing ${known.length > 0 ? 'the others' : 'the most recently active one'}`)
      if (known.length === 0) {
        const pick = mostRecentlyActive(list)
        update({ experiments: pick ? [pick.experimentId] : [] })
      } else if (known.length !== untrack(view).experiments.length) update({ experiments: known })
    } catch (err) {
      setProblem(`could not load experiments: ${(err as Error).message}`)
    }
  }
  createEffect(on(readsOpen, (open) => open && void loadExperiments()))
  const experimentIds = field('experiments', sameList)
  const loadKeys = async () => {
    if (experimentIds().length === 0 || !untrack(readsOpen)) return
    try {
      const k = await fetchKeys(experimentIds())
      setKeys({ metrics: k.metrics.sort(naturalOrder), params: k.params.sort(naturalOrder), tags: k.tags.sort(naturalOrder) })
    } catch {
      // Kept from before; the next refresh tries again.
    }
  }
  createEffect(on([experimentIds, readsOpen], () => void loadKeys()))
  const keysTimer = setInterval(() => void loadKeys(), 15_000)
  onCleanup(() => clearInterval(keysTimer))

  // ---- filter, columns, sort ------------------------------------------------
  const filterProblem = createMemo(() => checkFilter(v.filter()))
  // While the filter text is invalid, the table keeps showing the last valid one's result.
  const validFilter = createMemo<string>((last) => (filterProblem() ? last : v.filter()), '')
  // Brushed axes of the parallel coordinates filter the table and charts like typed clauses.
  const effectiveFilter = createMemo(() => {
    const parts = [validFilter().trim(), ...brushes().map((b) => b.clause)].filter((p) => p !== '')
    return parts.length <= 1 ? (parts[0] ?? '') : parts.map((p) => `(${p})`).join(' AND ')
  })
  const chosenColumns = createMemo(() => {
    if (v.columns().length > 0) return v.columns()
    const k = keys()
    return [
      ...preferred(k.params, PREFERRED_PARAMS).slice(0, DEFAULT_PARAM_COLUMNS).map((p) => columnId('param', p)),
      ...preferred(k.metrics, PREFERRED_METRICS).slice(0, DEFAULT_METRIC_COLUMNS).map((m) => columnId('metric', m)),
    ]
  }, undefined, { equals: sameList })
  const columnSpecs = createMemo(() => chosenColumns().map(parseColumnId).filter((c): c is ColumnSpec => c !== undefined))

  // Read apart from the rest of the view: selecting a run must not re-read the table.
  const orderBy = createMemo(() => v.sort().map((s) => orderByClause(s.column, s.desc)), undefined, { equals: sameList })

  // ---- the table's rows --------------------------------------------------------
  const pages = new RunPages(fetchRunsPage)
  // Listeners run inside whatever changed the pages (an effect, too): updates only, no reads to track.
  onCleanup(pages.listen(() => {
    setVersion((v) => v + 1)
    setProblem(pages.error)
  }))
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  createEffect(() => {
    const exps = experimentIds()
    if (exps.length === 0 || route().page !== 'explorer' || !readsOpen()) return
    // A re-read due for the query before is moot: this one reads its rows now, and its subscription
    // asks for its own. (While a filter was typed, each key's re-read landed on a later key's query.)
    clearTimeout(refreshTimer)
    refreshTimer = undefined
    pages.setQuery({
      experimentIds: exps,
      filter: effectiveFilter(),
      orderBy: orderBy(),
      columns: [...BASE_COLUMNS, ...chosenColumns()],
      parentColumn: PARENT_COLUMN,
    })
  })
  // Back after the connection was lost: what failed meanwhile (a filter typed while the server was away) is read again.
  createEffect(on(status, (now, before) => {
    if (now === 'open' && before !== undefined && before !== 'open') void pages.retry()
  }))
  const scheduleRefresh = () => {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = undefined
      void pages.refresh()
      setLiveVersion((v) => v + 1)
    }, TABLE_REFRESH_MS)
  }
  onCleanup(() => clearTimeout(refreshTimer))
  let changes = new Map<string, Record<string, CellValue>>()
  let patchTimer: ReturnType<typeof setTimeout> | undefined
  const queuePatch = (runId: string, values: Record<string, CellValue>) => {
    changes.set(runId, { ...changes.get(runId), ...values })
    patchTimer ??= setTimeout(() => {
      patchTimer = undefined
      const due = changes
      changes = new Map()
      pages.patch(due)
    }, TABLE_PATCH_MS)
  }
  onCleanup(() => clearTimeout(patchTimer))
  createEffect(() => {
    const exps = experimentIds()
    const filter = effectiveFilter()
    if (exps.length === 0 || route().page !== 'explorer') return live.unsubscribe('table')
    // Only what changes comes over the socket; the rows themselves are read by page. Subscribed once
    // the table's first page for this filter has come and the filter has held still a moment: the
    // server evaluates the filter for a subscription too, and a keystroke's page read (or the paint
    // of its rows) should not share the machine with it. What changes meanwhile comes with the
    // re-read the subscription starts.
    let replaced = false
    let settle: ReturnType<typeof setTimeout> | undefined
    onCleanup(() => {
      replaced = true
      clearTimeout(settle)
    })
    const subscribe = () => live.subscribe(
      { sub: 'table', experimentIds: exps, metrics: [], snapshot: false, ...(filter ? { filter } : {}) },
      {
        onMessage: (msg) => {
          if (msg.type === 'runs') {
            const columns = untrack(chosenColumns)
            for (const run of msg.upsert) queuePatch(run.runId, cellsOf(run, columns))
            // A key no run had before (a first metric in an empty store): offer it at once.
            const k = untrack(keys)
            const known = (have: string[], seen: Record<string, unknown>) => Object.keys(seen).every((key) => have.includes(key))
            if (msg.upsert.some((r) => !known(k.metrics, r.metrics) || !known(k.params, r.params) || !known(k.tags, r.tags))) void loadKeys()
            scheduleRefresh()
          } else if (msg.type === 'error') setProblem(msg.message)
        },
        onSubscribing: (resuming) => !resuming && scheduleRefresh(),
      },
    )
    void pages.answered().then(() => {
      if (!replaced) settle = setTimeout(subscribe, TABLE_SUBSCRIBE_SETTLE_MS)
    })
  })

  // ---- selection and charts --------------------------------------------------------
  const selected = createMemo(() => new Set(v.selected()))
  const toggle = (runId: string) => update({ selected: selected().has(runId) ? view().selected.filter((id) => id !== runId) : [...view().selected, runId] })
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !isTextEntry(e.target) && !e.defaultPrevented && view().selected.length > 0) update({ selected: [] })
  }
  onMount(() => document.addEventListener('keydown', onKey))
  onCleanup(() => document.removeEventListener('keydown', onKey))

  const chartedRuns = createMemo(
    () => {
      version()
      const chosen = v.selected()
      return chosen.length > 0 ? chosen.slice(0, MAX_CHARTED_RUNS) : pages.rows(0, CHARTED_TOP_RUNS).map((r) => r.runId)
    },
    undefined,
    { equals: sameList },
  )
  // The charted runs (and so the table's swatches of them) get distinct colours.
  createComputed(() => assignColors(chartedRuns()))
  const chartedSet = createMemo(() => new Set(chartedRuns()))
  const names = createMemo(() => {
    version()
    const out: Record<string, string> = {}
    for (const r of pages.heldRows()) out[r.runId] = String(r.values.run_name ?? '')
    return out
  })
  const chartMetrics = createMemo(() => {
    if (v.metrics().length > 0) return v.metrics()
    const first = preferred(keys().metrics, PREFERRED_METRICS)[0]
    return first ? [first] : []
  })

  const stoppingAid = createMemo(() => {
    const rule = v.stopping()
    return rule === 'off' ? undefined : { rule: rule as SignalRule, experimentIds: experimentIds(), filter: effectiveFilter() }
  })

  const total = () => {
    version()
    return pages.total
  }
  const experimentNames = createMemo(() => Object.fromEntries(experiments().map((e) => [e.experimentId, e.name])))
  // A run page names its run's experiment in the picker, whatever the explorer showed before.
  const pickerChoice = createMemo(() => {
    const runExperiment = lastRunExperiment()
    return route().page === 'run' && runExperiment ? [runExperiment] : experimentIds()
  }, undefined, { equals: sameList })

  return (
    <div class="app">
      <header class="topbar">
        <h1>runwatch</h1>
        <ExperimentPicker experiments={experiments()} chosen={pickerChoice()} onChange={(ids) => update({ experiments: ids, selected: [], columns: [], metrics: [], sort: [], brushes: [] })} onOpen={loadExperiments} />
        <span class="counts" data-testid="run-count">{total() === undefined ? '' : `${total()} runs`}</span>
        <a class="wall-link" href={`/wall${experimentIds().length ? `?experiments=${experimentIds().join(',')}` : ''}`}>Wall</a>
        <span class={`conn conn-${status()}`} data-testid="connection-status">
          {status() === 'open' ? 'live' : status() === 'closed' ? 'closed' : `${status()}…`}
        </span>
      </header>
      <Show when={status() === 'reconnecting'}>
        <div class="banner" role="status" data-testid="reconnecting">Connection lost — reconnecting; the view resumes where it left off.</div>
      </Show>
      <Show when={problem()}>
        <div class="problem" role="alert">{problem()}</div>
      </Show>
      <Show when={notice()}>
        <div class="banner" role="status" data-testid="notice">{notice()} <button type="button" class="linkish" onClick={() => setNotice(undefined)}>dismiss</button></div>
      </Show>
      <Switch>
        <Match when={route().page === 'run' && (route() as { runId: string }).runId} keyed>
          {(runId) => <RunPage runId={runId} live={live} experimentNames={experimentNames()} onOpenRun={openRun} onBack={backToRuns} onExperiment={setLastRunExperiment} />}
        </Match>
        <Match when={route().page === 'explorer'}>
          <FilterBar value={v.filter()} problem={filterProblem()} keys={keys()} total={total()} onInput={(filter) => update({ filter })} />
          <div class="toolbar">
            <ColumnPicker keys={keys()} chosen={chosenColumns()} onChange={(columns) => update({ columns })} />
            <div class="tabs" role="tablist">
              <button type="button" role="tab" aria-selected={v.panel() === 'charts'} data-testid="tab-charts" onClick={() => update({ panel: 'charts' })}>Charts</button>
              <button type="button" role="tab" aria-selected={v.panel() === 'compare'} data-testid="tab-compare" onClick={() => update({ panel: 'compare' })}>Compare</button>
            </div>
            <span class="muted" data-testid="selection">
              {v.selected().length > 0 ? (
                <>
                  {v.selected().length} selected · <button type="button" class="linkish" onClick={() => update({ selected: [] })}>clear (Esc)</button>
                </>
              ) : (
                `charts show the first ${CHARTED_TOP_RUNS} runs; select runs to choose`
              )}
            </span>
            <Show when={brushes().length > 0}>
              <span class="brush-note" data-testid="brush-note">filtered by {brushes().length} brushed {brushes().length === 1 ? 'axis' : 'axes'} <button type="button" class="linkish" onClick={() => setBrushes([])}>clear</button></span>
            </Show>
          </div>
          <main class="explorer">
            <section class="upper">
              <Show when={v.panel() === 'charts'} fallback={
                <CompareView experimentIds={experimentIds()} filter={validFilter()} keys={keys()} metric={chartMetrics()[0]} selected={selected()} onToggle={toggle}
                  brushes={brushes()} onBrush={setBrushes} version={liveVersion()} />
              }>
                <div class="chart-controls" data-testid="chart-controls">
                  <label>
                    Add panel{' '}
                    <select data-testid="metric-picker" onChange={(e) => {
                      const key = e.currentTarget.value
                      e.currentTarget.value = ''
                      if (key && !chartMetrics().includes(key)) update({ metrics: [...chartMetrics(), key] })
                    }}>
                      <option value="">metric…</option>
                      <For each={keys().metrics}>{(k) => <option value={k}>{k}</option>}</For>
                    </select>
                  </label>
                  <label title="TensorBoard's exponential moving average (debiased); the raw curve stays faint behind">
                    Smoothing <input type="range" min="0" max="0.99" step="0.01" value={v.smoothing()} data-testid="smoothing"
                      onChange={(e) => update({ smoothing: Number(e.currentTarget.value) })} /> <span class="num">{v.smoothing().toFixed(2)}</span>
                  </label>
                  <label title="Which runs an early-stopping rule would stop, against the completed runs: Optuna's median rule, Vizier's, or ASHA rungs">
                    Stopping aid{' '}
                    <select data-testid="stopping-rule" onChange={(e) => update({ stopping: e.currentTarget.value as ViewState['stopping'] })}>
                      <For each={['off', 'median', 'vizier', 'asha'] as const}>{(r) => <option value={r} selected={v.stopping() === r}>{r}</option>}</For>
                    </select>
                  </label>
                  <label><input type="checkbox" checked={v.logY()} data-testid="log-y" onChange={(e) => update({ logY: e.currentTarget.checked })} /> log y</label>
                  <label>
                    x{' '}
                    <select data-testid="x-mode" onChange={(e) => update({ x: e.currentTarget.value as ViewState['x'] })}>
                      <option value="step" selected={v.x() === 'step'}>step</option>
                      <option value="relative" selected={v.x() === 'relative'}>relative time</option>
                      <option value="wall" selected={v.x() === 'wall'}>wall time</option>
                    </select>
                  </label>
                </div>
                <Show when={chartMetrics().length > 0} fallback={<div class="empty">No metrics logged yet.</div>}>
                  <div class="chart-grid" classList={{ single: chartMetrics().length === 1 }}>
                    <For each={chartMetrics()}>
                      {(key) => (
                        <ChartPanel metricKey={key} runIds={chartedRuns()} names={names()} smoothing={v.smoothing()} logY={v.logY()} x={v.x()}
                          live={live} crosshair={crosshair} onOpenRun={openRun}
                          stopping={stoppingAid()} onRemove={chartMetrics().length > 1 ? () => update({ metrics: chartMetrics().filter((m) => m !== key) }) : undefined} />
                      )}
                    </For>
                  </div>
                </Show>
              </Show>
            </section>
            <Show
              when={(total() ?? 0) > 0}
              fallback={
                <div class="empty" data-testid="empty-state">
                  <Show when={total() !== undefined || (experimentsLoaded() && experiments().length === 0)} fallback="Loading runs…">
                    <Show when={!effectiveFilter().trim() || experiments().length === 0} fallback={<>No run matches this filter.</>}>
                      <Show when={experiments().length > 0} fallback={<>This store has no experiments yet.</>}>No runs in this experiment yet.</Show>{' '}
                      <LogFirstRun />
                    </Show>
                  </Show>
                </div>
              }
            >
              <RunTable pages={pages} version={version()} runsKey={JSON.stringify([experimentIds(), effectiveFilter(), orderBy()])} columns={columnSpecs()} sort={v.sort()} onSort={(sort) => update({ sort })} selected={selected()} charted={chartedSet()} onToggle={toggle} onOpen={openRun} />
            </Show>
          </main>
        </Match>
      </Switch>
    </div>
  )
}

