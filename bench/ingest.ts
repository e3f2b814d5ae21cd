// Initial index of a generated file store: the real `runwatch` process, from
// start to its ready line, and its peak memory.
import { readFileSync } from 'node:fs'
import { generateFileStore, generateSqliteStore, type StoreShape } from './generate-store.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

export interface IngestResult {
  seconds: number
  peakRssMb: number
  runs: number
  points: number
}

export async function benchIngest(shape: StoreShape, kind: 'file' | 'sqlite' = 'file'): Promise<IngestResult> {
  const generated = kind === 'file' ? generateFileStore(shape) : generateSqliteStore(shape)
  const store = 'root' in generated ? generated.root : `sqlite:///${generated.path}`
  if (generated.generatedSeconds !== null) console.error(`generated ${store} in ${generated.generatedSeconds.toFixed(1)} s`)
  const started = performance.now()
  const { url, child } = await spawnRunwatch(store)
  const seconds = (performance.now() - started) / 1000
  // VmHWM is the peak resident set of the process so far.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
  const status = (await (await fetch(`${url}/api/status`)).json()) as { runs: number; points: number }
  await stopRunwatch(child)
  return { seconds, peakRssMb: Number(hwm?.[1] ?? 0) / 1024, runs: status.runs, points: status.points }
}
