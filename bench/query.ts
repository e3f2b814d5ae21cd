// Query latency over HTTP against a real runwatch process: MLflow's
// runs/search and get-history, and the series query.
import type { ChildProcess } from 'node:child_process'
import { decodeSeriesFrame, SERIES_FRAME_TYPE, type SeriesFrame } from '../protocol/index.ts'
import { generateFileStore, type StoreShape } from './generate-store.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

async function serve(shape: StoreShape): Promise<{ url: string; child: ChildProcess }> {
  const { root, generatedSeconds } = generateFileStore(shape)
  if (generatedSeconds !== null) console.error(`generated ${root} in ${generatedSeconds.toFixed(1)} s`)
  const served = await spawnRunwatch(root, process.env.BENCH_PROFILE ? { profileDir: process.env.BENCH_PROFILE } : {})
  // Measure the settled server: the chart overviews are built just after the ready line.
  while (((await (await fetch(`${served.url}/api/status`)).json()) as { overviews: string }).overviews !== 'ready') {
    await new Promise((r) => setTimeout(r, 100))
  }
  return served
}

/** Each request timed until its body is read: parsed as JSON, or by `read`. */
async function timeRequests(n: number, request: () => Promise<Response>, read: (res: Response) => Promise<unknown> = (res) => res.json()): Promise<{ p50: number; p99: number; sample: unknown }> {
  const times: number[] = []
  let sample: unknown
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    const res = await request()
    sample = res.ok ? await read(res) : await res.json()
    times.push(performance.now() - started)
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(sample)}`)
  }
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(n * 0.5)]!, p99: times[Math.min(n - 1, Math.floor(n * 0.99))]!, sample }
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

export async function benchSearch(shape: StoreShape) {
  const { url, child } = await serve(shape)
  try {
    const experiments = ((await (await fetch(`${url}/api/experiments`)).json()) as { experiments: { experimentId: string }[] }).experiments.map((e) => e.experimentId)
    const filtered = await timeRequests(50, () =>
      post(`${url}/api/2.0/mlflow/runs/search`, {
        experiment_ids: experiments,
        filter: "metrics.metric_3 < 0.2 AND params.param_2 != '1.1' AND attributes.status = 'RUNNING'",
        order_by: ['metrics.metric_3 DESC'],
        max_results: 100,
      }),
    )
    const all = await timeRequests(20, () => post(`${url}/api/2.0/mlflow/runs/search`, { experiment_ids: experiments, max_results: 1000 }))
    return {
      filtered,
      filteredCount: (filtered.sample as { runs?: unknown[] }).runs?.length ?? 0,
      all,
      allCount: (all.sample as { runs?: unknown[] }).runs?.length ?? 0,
    }
  } finally {
    await stopRunwatch(child)
  }
}

export async function benchSeries() {
  const { url, child } = await serve({ runs: 100, metrics: 1, points: 100_000, params: 3, tags: 4 })
  try {
    const experiments = ((await (await fetch(`${url}/api/experiments`)).json()) as { experiments: { experimentId: string }[] }).experiments.map((e) => e.experimentId)
    const page = (await (await post(`${url}/api/runs/query`, { experimentIds: experiments, limit: 100 })).json()) as { runIds: string[] }
    const history = await timeRequests(10, () => fetch(`${url}/api/2.0/mlflow/metrics/get-history?run_id=${page.runIds[0]}&metric_key=metric_0`))
    const seriesRequest = { runIds: page.runIds, key: 'metric_0', budget: 4000 }
    // As the browser app asks for it (a binary frame, decoded), and as JSON.
    const series = await timeRequests(
      20,
      () => fetch(`${url}/api/series`, { method: 'POST', body: JSON.stringify(seriesRequest), headers: { 'content-type': 'application/json', accept: SERIES_FRAME_TYPE } }),
      async (res) => decodeSeriesFrame(await res.arrayBuffer()),
    )
    const seriesJson = await timeRequests(20, () => post(`${url}/api/series`, seriesRequest))
    const frame = series.sample as SeriesFrame
    return { history, historyPoints: (history.sample as { metrics: unknown[] }).metrics.length, series, seriesJson, runs: frame.runs.length, gridPoints: frame.grid.length }
  } finally {
    await stopRunwatch(child)
  }
}
