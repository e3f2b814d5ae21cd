// One run: info, description, params, tags, metrics (latest, min, max,
// sparkline), parent and children, dataset inputs, and its artifacts. Live:
// it is read again when the run changes.
import { For, Show, createEffect, createMemo, createResource, createSignal, onCleanup } from 'solid-js'
import { frameSeriesData, type RunDetails } from '../../../protocol/index.ts'
import { fetchRunDetails, fetchSeries } from '../api.ts'
import { colorFor } from '../colors.ts'
import { Sparkline } from '../components/Sparkline.tsx'
import { formatDuration, formatMetric } from '../format.ts'
import { runIdFilter, type LiveFeed } from '../live/live-feed.ts'
import type { SeriesData } from '../../../protocol/index.ts'
import { ArtifactBrowser } from './ArtifactBrowser.tsx'
import { Markdown } from './Markdown.tsx'
import { HealthBadge } from '../components/HealthBadge.tsx'

const SPARK_POINTS = 120
const formatTime = (t: number | null) => (t === null ? '' : new Date(t).toLocaleString())

function MetricSpark(props: { runId: string; metricKey: string; version: number }) {
  const [data] = createResource(
    () => [props.runId, props.metricKey, props.version] as const,
    async ([runId, key]): Promise<SeriesData> => {
      const answer = await fetchSeries({ runIds: [runId], key, x: 'step', budget: SPARK_POINTS })
      const run = answer.runs[0]
      return run ? frameSeriesData(answer.grid, run.y, run.nanAt) : { step: [], value: [] }
    },
  )
  return <Sparkline data={() => data.latest} version={data.latest ? data.latest.step.length + props.version : 0} color={colorFor(props.runId)} />
}

export function RunPage(props: {
  runId: string
  live: LiveFeed
  /** Experiment names by id, to name the run's experiment. */
  experimentNames: Record<string, string>
  onOpenRun: (runId: string) => void
  onBack: () => void
  onExperiment?: (experimentId: string) => void
}) {
  const [version, setVersion] = createSignal(0)
  const [details] = createResource(() => [props.runId, version()] as const, ([id]) => fetchRunDetails(id))
  // A resource that failed throws when read: an unknown run id shows the server's message instead.
  const run = () => (details.error ? undefined : details.latest?.run)
  createEffect(() => {
    const id = run()?.experimentId
    if (id) props.onExperiment?.(id)
  })

  // Any change to the run (status, a new point, a tag) reads the page again, at most once a second.
  let timer: ReturnType<typeof setTimeout> | undefined
  const sub = 'run-page'
  props.live.subscribe(
    { sub, metrics: [], filter: runIdFilter([props.runId]), snapshot: false },
    { onMessage: (msg) => msg.type === 'runs' && (timer ??= setTimeout(() => ((timer = undefined), setVersion(version() + 1)), 1000)) },
  )
  onCleanup(() => {
    clearTimeout(timer)
    props.live.unsubscribe(sub)
  })

  const tags = createMemo(() => Object.entries(run()?.tags ?? {}).sort(([a], [b]) => a.localeCompare(b)))
  const userTags = () => tags().filter(([k]) => !k.startsWith('mlflow.'))
  // The description is shown as such above, not again among the tags.
  const systemTags = () => tags().filter(([k]) => k.startsWith('mlflow.') && k !== 'mlflow.note.content')
  const metrics = createMemo(() => Object.keys(run()?.metrics ?? {}).sort())
  const link = (r: { runId: string; name?: string }) => (
    <a
      href={`/runs/${r.runId}`}
      onClick={(e) => {
        e.preventDefault()
        props.onOpenRun(r.runId)
      }}
    >
      {r.name || r.runId.slice(0, 8)}
    </a>
  )

  return (
    <div class="run-page" data-testid="run-page">
      <nav class="crumbs">
        <a
          href="/"
          onClick={(e) => {
            e.preventDefault()
            props.onBack()
          }}
        >
          ← Runs
        </a>
      </nav>
      <Show when={!details.error} fallback={<div class="problem" role="alert">{(details.error as Error).message}</div>}>
        <Show when={run()} fallback={<div class="empty">Loading run…</div>}>
          {(r) => (
            <>
              <h2 class="run-title">
                <i class="swatch" style={{ background: colorFor(r().runId) }} />
                <span data-testid="run-title">{r().name || r().runId}</span>
                <span class={`status status-${r().status.toLowerCase()}`}>{r().status}</span>
                <HealthBadge health={r().health} />
                <Show when={r().lifecycleStage === 'deleted'}>
                  <span class="muted">(deleted)</span>
                </Show>
              </h2>
              <dl class="run-info">
                <dt>Run ID</dt><dd><code>{r().runId}</code></dd>
                <dt>Experiment</dt>
                <dd data-testid="run-experiment">
                  <a href={`/?experiments=${r().experimentId}`}>{props.experimentNames[r().experimentId] ?? r().experimentId}</a>
                  {' · '}
                  <a href={`/?experiments=${r().experimentId}&selected=${r().runId}`} data-testid="chart-run">chart this run</a>
                </dd>
                <dt>Started</dt><dd>{formatTime(r().startTime)}</dd>
                <dt>Ended</dt><dd>{formatTime(r().endTime)}</dd>
                <dt>Duration</dt><dd>{r().startTime === null ? '' : formatDuration((r().endTime ?? Date.now()) - r().startTime!)}</dd>
                <dt>User</dt><dd>{r().userId}</dd>
                <Show when={r().tags['mlflow.source.name']}>{(source) => (<><dt>Source</dt><dd>{source()}</dd></>)}</Show>
                <Show when={r().tags['mlflow.source.git.commit']}>{(commit) => (<><dt>Git commit</dt><dd><code>{commit()}</code></dd></>)}</Show>
                <dt>Artifacts</dt><dd><code>{r().artifactUri}</code></dd>
                <Show when={details.latest!.parent}>
                  {(p) => (<><dt>Parent run</dt><dd data-testid="parent-run">{link(p())}</dd></>)}
                </Show>
                <Show when={details.latest!.children.length > 0}>
                  <dt>Child runs</dt>
                  <dd data-testid="child-runs">
                    <For each={details.latest!.children}>{(c) => <span class="child">{link(c)} <span class={`status status-${c.status.toLowerCase()}`}>{c.status}</span></span>}</For>
                  </dd>
                </Show>
              </dl>
              <Show when={r().tags['mlflow.note.content']}>
                {(note) => (
                  <section>
                    <h3>Description</h3>
                    <div class="note" data-testid="run-note"><Markdown text={note()} /></div>
                  </section>
                )}
              </Show>
              <section>
                <h3>Metrics</h3>
                <Show when={metrics().length > 0} fallback={<p class="muted">No metrics logged.</p>}>
                  <table class="kv metrics-table" data-testid="run-metrics">
                    <thead><tr><th>Metric</th><th>Latest</th><th>Step</th><th>Min</th><th>Max</th><th>Points</th><th class="spark-col">Curve</th></tr></thead>
                    <tbody>
                      <For each={metrics()}>
                        {(key) => {
                          const stats = () => (details.latest as RunDetails).metricStats[key]
                          return (
                            <tr>
                              <td>{key}</td>
                              <td>{formatMetric(r().metrics[key]?.value)}</td>
                              <td>{r().metrics[key]?.step}</td>
                              <td>{formatMetric(stats()?.min ?? undefined)}</td>
                              <td>{formatMetric(stats()?.max ?? undefined)}</td>
                              <td>{stats()?.count}</td>
                              <td class="spark-col"><MetricSpark runId={r().runId} metricKey={key} version={version()} /></td>
                            </tr>
                          )
                        }}
                      </For>
                    </tbody>
                  </table>
                </Show>
              </section>
              <div class="run-columns">
                <section>
                  <h3>Parameters</h3>
                  <table class="kv" data-testid="run-params">
                    <tbody>
                      <For each={Object.entries(r().params).sort(([a], [b]) => a.localeCompare(b))} fallback={<tr><td class="muted">No parameters.</td></tr>}>
                        {([k, v]) => <tr><td>{k}</td><td>{v}</td></tr>}
                      </For>
                    </tbody>
                  </table>
                </section>
                <section>
                  <h3>Tags</h3>
                  <table class="kv" data-testid="run-tags">
                    <tbody>
                      <For each={[...userTags(), ...systemTags()]}>{([k, v]) => <tr classList={{ system: k.startsWith('mlflow.') }}><td>{k}</td><td>{v}</td></tr>}</For>
                    </tbody>
                  </table>
                </section>
              </div>
              <Show when={(r().inputs ?? []).length > 0}>
                <section>
                  <h3>Dataset inputs</h3>
                  <table class="kv">
                    <thead><tr><th>Name</th><th>Digest</th><th>Source</th><th>Context</th></tr></thead>
                    <tbody>
                      <For each={r().inputs}>{(d) => <tr><td>{d.name}</td><td><code>{d.digest}</code></td><td>{d.sourceType}</td><td>{d.context ?? ''}</td></tr>}</For>
                    </tbody>
                  </table>
                </section>
              </Show>
              <section>
                <h3>Artifacts</h3>
                <ArtifactBrowser runId={r().runId} />
              </section>
            </>
          )}
        </Show>
      </Show>
    </div>
  )
}
