// The wall display: every running run (or a filter from the URL) as a tile
// readable from across the room, live, with no controls. It reconnects and
// resumes by itself, and its memory stays flat for days. With `rotate=N` it
// turns every N seconds to the next experiment (or metric) of the URL's list.
import { For, Show, createComputed, createEffect, createMemo, createResource, createSignal, on, onCleanup } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import { frameSeriesData, fromWire, toWire, type RunSummary, type ServerMessage } from '../../../protocol/index.ts'
import { fetchKeys, fetchRunsPage, fetchSeries, liveSocketUrl } from '../api.ts'
import { PREFERRED_METRICS, columnId, preferred } from '../columns.ts'
import { assignColors, colorFor } from '../colors.ts'
import { formatDuration, formatMetric } from '../format.ts'
import { LiveConnection, type ConnectionStatus } from '../live/connection.ts'
import { appendBounded } from '../state/bounded-series.ts'
import type { SeriesData } from '../../../protocol/index.ts'
import { Sparkline } from '../components/Sparkline.tsx'

const SUB = 'wall'
/** Points kept per run for its sparkline. */
const CAP = 1500
/** The best finished runs drawn faintly behind each tile's curve, read again this often. */
const REFERENCE_RUNS = 3
const REFERENCE_REFRESH_MS = 60_000
const REFERENCE_POINTS = 1200

interface Tile {
  run: RunSummary
  /** Bumped when the run's series (kept outside the store: plain arrays) changes. */
  version: number
  last: number
  best: number
  lastPointAt: number
  /** Logged timestamps of the last few seconds' points (the logging rate). */
  recent: number[]
}

export function WallView() {
  const params = new URLSearchParams(location.search)
  const chosenMetrics = params.get('metrics') ?? params.get('metric')
  const metrics = (chosenMetrics ?? PREFERRED_METRICS[0]!).split(',').filter(Boolean)
  const maximize = params.get('mode') === 'max'
  const filter = params.get('filter') ?? "attributes.status = 'RUNNING'"
  const experimentList = params.get('experiments')?.split(',').filter(Boolean)
  const rotateSeconds = Number(params.get('rotate') ?? 0)
  // Pages to rotate through: one per experiment when several are listed, else one per metric.
  const pages = rotateSeconds > 0 && (experimentList?.length ?? 0) > 1
    ? experimentList!.map((e) => ({ experiments: [e], metric: metrics[0]! }))
    : rotateSeconds > 0 && metrics.length > 1
      ? metrics.map((m) => ({ experiments: experimentList, metric: m }))
      : [{ experiments: experimentList, metric: metrics[0]! }]
  const [pageIndex, setPageIndex] = createSignal(0)
  if (pages.length > 1) {
    const rotation = setInterval(() => setPageIndex((i) => (i + 1) % pages.length), rotateSeconds * 1000)
    onCleanup(() => clearInterval(rotation))
  }
  const page = () => pages[pageIndex()]!
  const metric = () => page().metric
  // The metrics these runs log: without a metric in the URL the wall shows the preferred one they
  // have (a reload with it in the URL); a metric they do not log is said, with the ones they do.
  const [logged] = createResource(() => fetchKeys(experimentList ?? []).then((k) => k.metrics).catch(() => undefined))
  createEffect(() => {
    const known = logged()
    if (chosenMetrics !== null || !known || known.length === 0 || known.includes(metric())) return
    params.set('metric', preferred(known, PREFERRED_METRICS)[0]!)
    location.replace(`${location.pathname}?${params}`)
  })
  const unlogged = () => {
    const known = logged()
    return known && known.length > 0 && !known.includes(metric()) ? preferred(known, PREFERRED_METRICS) : undefined
  }
  const [status, setStatus] = createSignal<ConnectionStatus>('connecting')
  const [tiles, setTiles] = createStore<Record<string, Tile>>({})
  const series = new Map<string, SeriesData>()
  const [now, setNow] = createSignal(Date.now())
  const clock = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(clock))

  const better = (a: number, b: number) => (maximize ? a > b : a < b)

  const onMessage = (msg: ServerMessage) => {
    if (msg.sub !== SUB) return
    if (msg.type === 'runs') {
      setTiles(
        produce((state) => {
          for (const id of msg.remove) {
            delete state[id]
            series.delete(id)
          }
          for (const run of msg.upsert) {
            if (state[run.runId]) state[run.runId]!.run = run
            else state[run.runId] = { run, version: 0, last: NaN, best: NaN, lastPointAt: 0, recent: [] }
          }
        }),
      )
    }
    if (msg.type === 'points' && msg.key === metric()) {
      const values = msg.value.map(fromWire)
      if (!tiles[msg.runId]) return
      let data = series.get(msg.runId)
      if (!data) series.set(msg.runId, (data = { step: [], value: [] }))
      appendBounded(data, msg.step, values, CAP)
      setTiles(
        produce((state) => {
          const tile = state[msg.runId]
          if (!tile) return
          tile.last = data.value[data.value.length - 1] ?? NaN
          for (const v of values) if (Number.isFinite(v) && (Number.isNaN(tile.best) || better(v, tile.best))) tile.best = v
          // Logging rate from the points' own timestamps over the last 5 s (a snapshot of old points counts for nothing).
          const since = Date.now() - 5000
          for (const t of msg.timestamp) if (t > tile.lastPointAt) tile.lastPointAt = t
          tile.recent = [...tile.recent.filter((x) => x > since), ...msg.timestamp.filter((x) => x > since)].slice(-5000)
          tile.version++
        }),
      )
    }
  }

  const connection = new LiveConnection({
    url: liveSocketUrl(),
    onMessage,
    onStatus: setStatus,
    onSubscribing: (_sub, resuming) => {
      if (resuming) return
      series.clear()
      setTiles(produce((state) => { for (const id of Object.keys(state)) delete state[id] }))
    },
  })
  createEffect(on(pageIndex, () => {
    const { experiments, metric } = page()
    // Tiles draw at most CAP points: the server thins each whole series to about that many (a run
    // of 100,000 steps would otherwise send them all, for the tile to thin them again).
    connection.subscribe({ sub: SUB, metrics: [metric], filter, snapshotPoints: CAP, ...(experiments ? { experimentIds: experiments } : {}) })
  }))
  onCleanup(() => connection.close())

  // The best few finished runs of this page's metric, as faint reference curves.
  const [refreshTick, setRefreshTick] = createSignal(0)
  const refreshTimer = setInterval(() => setRefreshTick((t) => t + 1), REFERENCE_REFRESH_MS)
  onCleanup(() => clearInterval(refreshTimer))
  const [references] = createResource(
    () => ({ page: page(), tick: refreshTick() }),
    async ({ page: { experiments, metric } }): Promise<SeriesData[]> => {
      const best = await fetchRunsPage(
        { ...(experiments ? { experimentIds: experiments } : {}), filter: "attributes.status = 'FINISHED'", orderBy: [`${columnId('metric', metric)} ${maximize ? 'DESC' : 'ASC'}`], columns: [] },
        0,
        REFERENCE_RUNS,
      ).catch(() => undefined)
      if (!best || best.runIds.length === 0) return []
      const answer = await fetchSeries({ runIds: best.runIds, key: metric, x: 'step', budget: REFERENCE_POINTS })
      return answer.runs.map((r) => frameSeriesData(answer.grid, r.y, r.nanAt))
    },
  )
  const referenceCurves = () => references.latest ?? []

  const ordered = createMemo(() => Object.values(tiles).sort((a, b) => (b.run.startTime ?? 0) - (a.run.startTime ?? 0)))
  createComputed(() => assignColors(ordered().map((t) => t.run.runId)))
  // Fill the screen: enough columns for a wide-screen aspect, rows sharing the height.
  const columns = createMemo(() => Math.max(1, Math.min(8, Math.ceil(Math.sqrt(ordered().length * 1.6)))))
  const rows = createMemo(() => Math.max(1, Math.ceil(ordered().length / columns())))

  return (
    <div class="wall" data-testid="wall">
      <Show when={status() !== 'open'}>
        <div class="wall-banner" data-testid="wall-banner">{status() === 'closed' ? 'disconnected' : 'reconnecting…'}</div>
      </Show>
      <Show when={pages.length > 1}>
        <div class="wall-page" data-testid="wall-page">
          {page().experiments?.join(', ') ?? 'all experiments'} · {metric()} ({pageIndex() + 1}/{pages.length})
        </div>
      </Show>
      <Show when={unlogged()}>
        {(known) => (
          <div class="wall-banner wall-notice" data-testid="wall-notice">
            '{metric()}' is not logged by these runs. They log:{' '}
            <For each={known().slice(0, 12)}>{(k) => <a href={`${location.pathname}?${new URLSearchParams({ ...Object.fromEntries(params), metric: k })}`}>{k} </a>}</For>
          </div>
        )}
      </Show>
      <Show when={ordered().length > 0} fallback={<div class="wall-empty">No run matches {filter}</div>}>
        <div
          class="wall-grid"
          style={{
            'grid-template-columns': `repeat(${columns()}, minmax(0, 1fr))`,
            'grid-auto-rows': `calc((100vh - 24px - ${(rows() - 1) * 12}px) / ${rows()})`,
          }}
        >
          <For each={ordered()}>
            {(tile) => {
              const silentFor = () => (tile.lastPointAt ? Math.max(0, now() - tile.lastPointAt) : 0)
              // Points logged in the last 5 s, recomputed each second so a finished run drops to 0.
              const rate = () => tile.recent.filter((t) => t > now() - 5000).length / 5
              // The server judges health (docs/stopping-rules.md): the same verdict as the table and the run page.
              const health = () => tile.run.health ?? 'ok'
              return (
                <div class={`wall-tile wall-${tile.run.status.toLowerCase()}`} data-testid="wall-tile" data-run-id={tile.run.runId}>
                  <div class="wall-head">
                    <i class="swatch" style={{ background: colorFor(tile.run.runId) }} />
                    <span class="wall-name">{tile.run.name || tile.run.runId.slice(0, 8)}</span>
                    <Show when={health() !== 'ok'}>
                      <span class={`health health-${health()}`} data-testid="wall-health">{health()}</span>
                    </Show>
                    {/* RUNNING is the wall's usual case: its pulsing dot alone, leaving the width to the run's name. */}
                    <span class={`status status-${tile.run.status.toLowerCase()}`} title={tile.run.status}>{tile.run.status === 'RUNNING' ? '' : tile.run.status}</span>
                  </div>
                  <div class="wall-values">
                    <div>
                      <div class="wall-label">{metric()}</div>
                      <div class="wall-value" data-testid="wall-value">{tile.version === 0 ? '–' : formatMetric(toWire(tile.last))}</div>
                    </div>
                    <div>
                      <div class="wall-label">best</div>
                      <div class="wall-value">{Number.isNaN(tile.best) ? '–' : formatMetric(tile.best)}</div>
                    </div>
                  </div>
                  <Sparkline data={() => series.get(tile.run.runId)} version={tile.version} color={colorFor(tile.run.runId)} references={referenceCurves} />
                  <div class="wall-foot">
                    <span data-testid="wall-step">step {tile.version === 0 ? '–' : (series.get(tile.run.runId)?.step.at(-1) ?? '–')}</span>
                    <span>{rate().toFixed(0)} pts/s</span>
                    <span classList={{ stale: health() === 'stalled' }}>{tile.lastPointAt ? `${formatDuration(silentFor())} ago` : 'no points yet'}</span>
                  </div>
                </div>
              )
            }}
          </For>
        </div>
      </Show>
    </div>
  )
}
