// `npm run bench`: runs each benchmark and prints a table of figures next to
// the targets from the issues. Sizes can be lowered for a quick look:
//   BENCH_RUNS=1000 npm run bench
// Named groups run alone (ingest, tail, live, idle, query, signals, sustained,
// ui; soak — an hour of /wall — runs only when named):
//   npm run bench -- query ui
import { benchIngest } from './ingest.ts'
import { benchIdleClients } from './idle-clients.ts'
import { benchLiveLatency } from './live-latency.ts'
import { benchSearch, benchSeries } from './query.ts'
import { benchSignals } from './signals.ts'
import { benchTailLatency, benchTailThroughput } from './tail.ts'
import { benchSustained } from './sustained.ts'
import { benchBigChart, benchLiveChart, benchTable } from './ui.ts'
import { benchWallSoak } from './soak-wall.ts'

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const only = process.argv.slice(2)
const wanted = (group: string) => only.length === 0 || only.includes(group)
const rows: [string, string, string][] = []
const row = (name: string, figure: string, target: string) => {
  rows.push([name, figure, target])
  console.error(`  ${name}: ${figure}`)
}

const shape = { runs: env('BENCH_RUNS', 10_000), metrics: 20, points: 100, params: 30, tags: 10 }
if (wanted('ingest')) {
  console.error(`ingest: file store of ${shape.runs} runs × ${shape.metrics} metrics × ${shape.points} points, ${shape.params} params, ${shape.tags} tags`)
  const ingest = await benchIngest(shape)
  row(`initial index, file store, ${shape.runs} runs (start → ready line)`, `${ingest.seconds.toFixed(1)} s (CPU ${ingest.cpuSeconds.toFixed(1)} s)`, '< 15 s')
  row('peak RSS during that index', `${ingest.peakRssMb.toFixed(0)} MB`, '< 1.5 GB')
  row('same, until the chart overviews are built (startup work after the ready line)', `${ingest.peakRssWithOverviewsMb.toFixed(0)} MB at ${ingest.overviewsSeconds.toFixed(1)} s`, '< 1.5 GB')
  row('indexed', `${ingest.runs} runs, ${ingest.points} points`, `${shape.runs} runs, ${shape.runs * shape.metrics * shape.points} points`)
  const sqlite = await benchIngest(shape, 'sqlite')
  row(`initial index, SQLite store, ${shape.runs} runs (start → ready line)`, `${sqlite.seconds.toFixed(1)} s (CPU ${sqlite.cpuSeconds.toFixed(1)} s)`, '< 15 s')
  row('peak RSS during that index', `${sqlite.peakRssMb.toFixed(0)} MB`, '< 1.5 GB')
  row('same, until the chart overviews are built (startup work after the ready line)', `${sqlite.peakRssWithOverviewsMb.toFixed(0)} MB at ${sqlite.overviewsSeconds.toFixed(1)} s`, '< 1.5 GB')
}

if (wanted('tail')) {
  console.error('tail: appended lines → events, no server')
  const throughput = await benchTailThroughput(100, 20_000)
  row('tail throughput (100 files × 20,000 appended lines)', `${Math.round(throughput).toLocaleString('en')} points/s`, '≥ 200,000 points/s')
  const [tailP50, tailP99] = await benchTailLatency(100, 10_000, 10)
  row('append → event p50 (10,000 points/s over 100 files)', `${tailP50.toFixed(1)} ms`, '')
  row('append → event p99', `${tailP99.toFixed(1)} ms`, '< 50 ms')
}

if (wanted('live')) {
  const live = { runs: env('BENCH_LIVE_RUNS', 100), hz: env('BENCH_LIVE_HZ', 100), clients: env('BENCH_LIVE_CLIENTS', 20), seconds: env('BENCH_LIVE_SECONDS', 10) }
  console.error(`live: ${live.runs} runs × ${live.hz} Hz appended to a file store, ${live.clients} clients, ${live.seconds} s`)
  const latency = await benchLiveLatency(live)
  row(`write → client receipt p50 (${live.runs * live.hz} points/s, ${live.clients} clients)`, `${latency.p50.toFixed(1)} ms`, '< 20 ms')
  row('write → client receipt p99', `${latency.p99.toFixed(1)} ms`, '< 50 ms')
  row('write → client receipt max', `${latency.max.toFixed(1)} ms`, '')
  row('points received by the clients', `${latency.received} of ${latency.expected}`, 'all')
}

if (wanted('idle')) {
  const idle = await benchIdleClients(200)
  row('200 idle subscribed clients: server RSS growth', `${(idle.after - idle.before).toFixed(0)} MB (${idle.before.toFixed(0)} → ${idle.after.toFixed(0)} MB)`, '< 100 MB')
}

if (wanted('query')) {
  console.error(`query: runwatch serving the ${shape.runs}-run file store, then 100 runs × 100,000 points`)
  const search = await benchSearch(shape)
  row(`runs/search, 3-clause filter, ordered by a metric, first 100 (${search.filteredCount} returned) p50`, `${search.filtered.p50.toFixed(1)} ms`, '< 20 ms')
  row('runs/search, same, p99', `${search.filtered.p99.toFixed(1)} ms`, '< 60 ms')
  row(`runs/search, no filter, ${search.allCount} runs, p50`, `${search.all.p50.toFixed(1)} ms`, '< 60 ms')
  const series = await benchSeries()
  row(`metrics/get-history of a ${series.historyPoints.toLocaleString('en')}-point metric`, `${series.history.p50.toFixed(1)} ms`, '< 150 ms')
  row(`series query, ${series.runs} runs × 100,000 points into 1,000 buckets (${series.gridPoints} grid points), binary frame as the app reads it, p50`, `${series.series.p50.toFixed(1)} ms`, '< 100 ms')
  row(`the same series query answered as JSON, p50`, `${series.seriesJson.p50.toFixed(1)} ms`, '')
}

if (wanted('signals')) {
  const signalRuns = env('BENCH_SIGNAL_RUNS', 1000)
  console.error(`signals: ${signalRuns} runs × 1,000 steps in an in-process index, a batch of one step per running run`)
  for (const f of await benchSignals(signalRuns)) {
    row(`signals (${f.rule}), ${f.points.toLocaleString('en')} points: update after a batch, p50`, `${f.update.p50.toFixed(1)} ms`, '< 50 ms')
    row(`signals (${f.rule}): update after a batch, p99`, `${f.update.p99.toFixed(1)} ms`, '')
    row(`signals (${f.rule}): first build · after a run finishes`, `${f.buildMs.toFixed(0)} ms · ${f.afterFinishMs.toFixed(0)} ms`, '')
  }
}

if (wanted('sustained')) {
  const seconds = env('BENCH_SUSTAINED_SECONDS', 60)
  console.error(`sustained: 100,000 points/s over 100 runs for ${seconds} s, 5 clients`)
  const s = await benchSustained({ runs: 100, pointsPerSecond: 100_000, clients: 5, seconds })
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  row(`sustained 100,000 points/s × ${seconds} s, 5 clients: server RSS every 5 s`, `${range(s.rssMb)} MB (last ${s.rssMb.at(-1)!.toFixed(0)} MB)`, 'flat')
  row('same: of which DuckDB (the indexed points) · JS heap', `${range(s.indexMb)} MB · ${range(s.heapMb)} MB`, 'heap flat')
  row('same: bytes queued for the slowest client', `${range(s.queuedKb)} KB`, 'bounded')
  row('same: points received by the clients', `${s.received.toLocaleString('en')} of ${s.expected.toLocaleString('en')}`, 'all')
  row('same: write → receipt p50 · p99', `${s.p50.toFixed(0)} ms · ${s.p99.toFixed(0)} ms`, '')
}

if (wanted('ui')) {
  console.error('ui: the explorer in headless Chromium (software rendering)')
  const table = await benchTable()
  row('10,000-run experiment: first table paint after navigation', `${table.firstPaintMs.toFixed(0)} ms`, '< 1.5 s')
  row('same: scrolling the table', `${table.scrollFps.toFixed(1)} fps (worst frame ${table.worstFrameMs.toFixed(0)} ms)`, '≥ 50 fps')
  const keys = [...table.keystrokeMs].sort((a, b) => a - b)
  row('same: keystroke → updated table, median · worst of 5', `${keys[2]!.toFixed(0)} ms · ${keys[4]!.toFixed(0)} ms`, '< 100 ms')
  const big = await benchBigChart()
  row(`100 runs × 100,000 points in one panel: navigation → first paint (${big.points.toLocaleString('en')} points drawn)`, `${big.renderMs.toFixed(0)} ms`, '< 500 ms')
  row(`same: navigation → full detail painted (${big.detailPoints.toLocaleString('en')} points)`, `${big.detailMs.toFixed(0)} ms`, '')
  const live = await benchLiveChart()
  row('20 live runs × 50 points/s charted', `${live.fps.toFixed(1)} fps (worst frame ${live.worstFrameMs.toFixed(0)} ms)`, '≥ 50 fps')
  row('same: DOM nodes before → after 20 s', `${live.domBefore} → ${live.domAfter}`, 'no growth')
}

// An hour long: only when asked for (npm run bench -- soak).
if (only.includes('soak')) {
  const minutes = env('SOAK_MINUTES', 60)
  console.error(`soak: /wall in Chromium for ${minutes} minutes against the demo at 20 runs × 50 points/s`)
  const soak = await benchWallSoak(minutes)
  row(`wall soak, ${minutes} min: JS heap, median of minutes 5–14 → last 10`, `${soak.heapGrowthPct >= 0 ? '+' : ''}${soak.heapGrowthPct.toFixed(1)} % (max sample ${soak.maxHeapMb.toFixed(1)} MB)`, '< 10 % growth')
  row('same: DOM nodes', `${soak.domGrowthPct >= 0 ? '+' : ''}${soak.domGrowthPct.toFixed(1)} %`, '< 10 % growth')
  row('same: reconnects', String(soak.reconnects), 'none')
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['benchmark', 'measured', 'target'][i]!.length))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(line(['benchmark', 'measured', 'target']))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of rows) console.log(line(r))
process.exit(0)
