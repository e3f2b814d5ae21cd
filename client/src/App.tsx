import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from 'solid-js'
import { createStore, produce, reconcile } from 'solid-js/store'
import { fromWire, type ExperimentSummary, type RunSummary, type ServerMessage } from '../../protocol/index.ts'
import { fetchExperiments, liveSocketUrl, mostRecentlyActive } from './api.ts'
import { LiveChart } from './components/LiveChart.tsx'
import { RunTable } from './components/RunTable.tsx'
import { FilterBar, checkFilter } from './components/FilterBar.tsx'
import { LiveConnection, type ConnectionStatus } from './live/connection.ts'
import { SeriesBuffer } from './state/series-buffer.ts'

/** Table updates are merged at most this often: a live table must stay readable and cheap. */
const TABLE_REFRESH_MS = 250
/** Runs for the table (no points), and the points of the charted runs. */
const TABLE = 'table'
const CHART = 'chart'
/** The chart overlays the newest runs of the table, at most this many. */
const CHART_RUNS = 20

export function App() {
  const params = new URLSearchParams(location.search)
  const [experiments, setExperiments] = createSignal<ExperimentSummary[]>([])
  const [experimentId, setExperimentId] = createSignal<string | undefined>(params.get('experiment') ?? undefined)
  const [chartKey, setChartKey] = createSignal<string | undefined>(params.get('metric') ?? undefined)
  const [logScale, setLogScale] = createSignal(params.get('log') === '1')
  const [filter, setFilter] = createSignal(params.get('filter') ?? '')
  const filterProblem = createMemo(() => checkFilter(filter()))
  // While the filter text is invalid, the table keeps showing the last valid one's result.
  const validFilter = createMemo<string>((last) => (filterProblem() ? last : filter()), '')
  const [status, setStatus] = createSignal<ConnectionStatus>('connecting')
  const [synced, setSynced] = createSignal(false)
  const [problem, setProblem] = createSignal<string>()
  const [runs, setRuns] = createStore<Record<string, RunSummary>>({})
  const buffer = new SeriesBuffer()

  // Run changes arrive per batch; merge them into the store a few times a second.
  let pendingUpserts = new Map<string, RunSummary>()
  let pendingRemoves = new Set<string>()
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  const flushRuns = () => {
    flushTimer = undefined
    const [upserts, removes] = [pendingUpserts, pendingRemoves]
    pendingUpserts = new Map()
    pendingRemoves = new Set()
    setRuns(
      produce((state) => {
        for (const id of removes) delete state[id]
        for (const [id, run] of upserts) state[id] = run
      }),
    )
  }
  const scheduleFlush = (now = false) => {
    if (now) {
      clearTimeout(flushTimer)
      return flushRuns()
    }
    flushTimer ??= setTimeout(flushRuns, TABLE_REFRESH_MS)
  }

  const onMessage = (msg: ServerMessage) => {
    if (msg.sub === CHART) {
      if (msg.type === 'points' && msg.key === chartKey()) buffer.append(msg.runId, msg.step, msg.value.map(fromWire))
      if (msg.type === 'runs') for (const id of msg.remove) buffer.remove(id)
      return
    }
    if (msg.sub !== TABLE) return
    switch (msg.type) {
      case 'runs':
        for (const run of msg.upsert) {
          pendingUpserts.set(run.runId, run)
          pendingRemoves.delete(run.runId)
        }
        for (const id of msg.remove) {
          pendingRemoves.add(id)
          pendingUpserts.delete(id)
        }
        scheduleFlush(!synced())
        break
      case 'synced':
        setSynced(true)
        scheduleFlush(true)
        break
      case 'error':
        setProblem(msg.message)
        break
    }
  }

  const connection = new LiveConnection({
    url: liveSocketUrl(),
    onMessage,
    onStatus: setStatus,
    onSubscribing: (sub, resuming) => {
      if (sub === CHART) {
        // Resuming, the chart keeps its curves: only the missed points follow.
        if (!resuming) buffer.reset()
        return
      }
      setSynced(false)
      setProblem(undefined)
      pendingUpserts.clear()
      pendingRemoves.clear()
      setRuns(reconcile({}))
    },
  })
  onCleanup(() => connection.close())

  const loadExperiments = async () => {
    try {
      const list = await fetchExperiments()
      setExperiments(list)
      if (!experimentId() || !list.some((e) => e.experimentId === experimentId())) {
        setExperimentId(mostRecentlyActive(list)?.experimentId)
      }
    } catch (err) {
      setProblem(`could not load experiments: ${(err as Error).message}`)
    }
  }
  onMount(loadExperiments)

  const runList = createMemo(() =>
    Object.values(runs).sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0) || a.runId.localeCompare(b.runId)),
  )
  const metricKeys = createMemo(() => sortedKeys(runList(), (r) => r.metrics, ['loss', 'val_loss', 'accuracy']))
  const paramKeys = createMemo(() => sortedKeys(runList(), (r) => r.params, ['lr', 'learning_rate', 'batch_size']))
  const joinedMetricKeys = createMemo(() => metricKeys().join('\u0000'))
  const joinedParamKeys = createMemo(() => paramKeys().join('\u0000'))
  const stableMetricKeys = createMemo(on(joinedMetricKeys, () => metricKeys()))
  const stableParamKeys = createMemo(on(joinedParamKeys, () => paramKeys()))

  createEffect(() => {
    const keys = metricKeys()
    if (!chartKey() && keys.length > 0) setChartKey(keys[0])
  })

  createEffect(
    on([experimentId, validFilter], ([exp, text]) => {
      if (!exp) return
      connection.subscribe({ sub: TABLE, experimentIds: [exp], metrics: [], ...(text.trim() ? { filter: text } : {}) })
    }),
  )

  // The charted runs: re-subscribed only when the set changes, with the points of just those runs.
  const chartedRuns = createMemo(() => runList().slice(0, CHART_RUNS).map((r) => r.runId).sort().join(','))
  createEffect(
    on([experimentId, chartKey, chartedRuns], ([exp, key, ids]) => {
      if (!exp || !key) return
      const list = ids ? ids.split(',') : []
      connection.subscribe({ sub: CHART, experimentIds: [exp], metrics: [key], filter: `attributes.run_id IN (${list.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ') || "''"})` })
    }),
  )

  createEffect(() => {
    const url = new URL(location.href)
    const exp = experimentId()
    const key = chartKey()
    const text = filter()
    if (exp) url.searchParams.set('experiment', exp)
    if (key) url.searchParams.set('metric', key)
    else url.searchParams.delete('metric')
    if (text.trim()) url.searchParams.set('filter', text)
    else url.searchParams.delete('filter')
    history.replaceState(null, '', url)
  })

  createEffect(() => {
    const url = new URL(location.href)
    if (logScale()) url.searchParams.set('log', '1')
    else url.searchParams.delete('log')
    history.replaceState(null, '', url)
  })

  const running = createMemo(() => runList().filter((r) => r.status === 'RUNNING').length)

  return (
    <div class="app">
      <header>
        <h1>runwatch</h1>
        <label>
          Experiment{' '}
          <select
            data-testid="experiment-picker"
            onFocus={loadExperiments}
            onChange={(e) => {
              setChartKey(undefined)
              setExperimentId(e.currentTarget.value)
            }}
          >
            <For each={experiments()}>
              {(e) => (
                <option value={e.experimentId} selected={e.experimentId === experimentId()}>
                  {e.name} ({e.runCount})
                </option>
              )}
            </For>
          </select>
        </label>
        <span class="counts" data-testid="run-count">
          {runList().length} runs · {running()} running
        </span>
        <span class={`conn conn-${status()}`} data-testid="connection-status">
          {status() === 'open' ? (synced() ? 'live' : 'loading…') : status() === 'closed' ? 'closed' : `${status()}…`}
        </span>
      </header>
      <Show when={problem()}>
        <div class="problem" role="alert">{problem()}</div>
      </Show>
      <FilterBar value={filter()} problem={filterProblem()} onInput={setFilter} />
      <main>
        <section class="chart-panel">
          <div class="chart-controls">
            <label>
              Metric{' '}
              <select data-testid="metric-picker" onChange={(e) => setChartKey(e.currentTarget.value)}>
                <For each={stableMetricKeys()}>{(k) => <option value={k} selected={k === chartKey()}>{k}</option>}</For>
              </select>
            </label>
            <label>
              <input type="checkbox" checked={logScale()} onChange={(e) => setLogScale(e.currentTarget.checked)} /> log y
            </label>
          </div>
          <Show when={chartKey()} keyed fallback={<div class="empty">No metrics logged yet.</div>}>
            {(key) => <LiveChart buffer={buffer} metricKey={key} logScale={logScale()} />}
          </Show>
        </section>
        <Show
          when={runList().length > 0}
          fallback={
            <div class="empty">
              <Show when={synced()} fallback="Loading runs…">
                <Show
                  when={!filter().trim()}
                  fallback={<>No run matches this filter.</>}
                >
                  No runs in this experiment yet. Log one with MLflow:{' '}
                  <code>with mlflow.start_run(): mlflow.log_metric("loss", 0.5, step=0)</code>
                </Show>
              </Show>
            </div>
          }
        >
          <RunTable runs={runList()} metricKeys={stableMetricKeys()} paramKeys={stableParamKeys()} />
        </Show>
      </main>
    </div>
  )
}

/** Union of the runs' keys, preferred keys first, then alphabetical. */
function sortedKeys(runs: RunSummary[], pick: (r: RunSummary) => Record<string, unknown>, preferred: string[]): string[] {
  const keys = new Set<string>()
  for (const r of runs) for (const k of Object.keys(pick(r))) keys.add(k)
  const rank = (k: string) => {
    const i = preferred.indexOf(k)
    return i < 0 ? preferred.length : i
  }
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}
