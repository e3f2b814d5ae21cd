// Initial index of a generated file store: the real `runwatch` process, from
// start to its ready line, and its peak memory.
import { readFileSync } from 'node:fs'
import { generateFileStore, generateSqliteStore, type StoreShape } from './generate-store.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

export interface IngestResult {
  seconds: number
  /** User + system CPU of the process (all its threads: workers, DuckDB) up to the ready line. */
  cpuSeconds: number
  peakRssMb: number
  /** From start until /api/status reports the chart overviews built: the startup work after the ready line. */
  overviewsSeconds: number
  /** The peak until then. */
  peakRssWithOverviewsMb: number
  runs: number
  points: number
}

export async function benchIngest(shape: StoreShape, kind: 'file' | 'sqlite' = 'file'): Promise<IngestResult> {
  const generated = kind === 'file' ? generateFileStore(shape) : generateSqliteStore(shape)
  const store = 'root' in generated ? generated.root : `sqlite:///${generated.path}`
  if (generated.generatedSeconds !== null) console.error(`generated ${store} in ${generated.generatedSeconds.toFixed(1)} s`)
  const started = performance.now()
  const profileDir = process.env.BENCH_PROFILE
  const { url, child } = await spawnRunwatch(store, profileDir ? { profileDir } : {})
  const seconds = (performance.now() - started) / 1000
  // VmHWM is the peak resident set of the process so far.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
  const cpuSeconds = processCpuSeconds(child.pid!)
  let status = (await (await fetch(`${url}/api/status`)).json()) as { runs: number; points: number; overviews: string }
  while (status.overviews !== 'ready') {
    await new Promise((r) => setTimeout(r, 50))
    status = (await (await fetch(`${url}/api/status`)).json()) as typeof status
  }
  const overviewsSeconds = (performance.now() - started) / 1000
  const hwmWithOverviews = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
  // Waited for: the next benchmark must not run beside its teardown, and a CPU profile is written as it exits.
  await stopRunwatch(child)
  return {
    seconds, cpuSeconds, peakRssMb: Number(hwm?.[1] ?? 0) / 1024,
    overviewsSeconds, peakRssWithOverviewsMb: Number(hwmWithOverviews?.[1] ?? 0) / 1024,
    runs: status.runs, points: status.points,
  }
}

/** utime + stime of a process from /proc (fields 14 and 15, after the parenthesized command name), in clock ticks of 1/100 s. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
