// Sustained load: 100,000 points/s appended to a file store (100 runs, written
// in 10 ms slices) for 60 s with 5 connected clients. Samples the server's
// RSS and the bytes queued for its slowest client every 5 s: both must stay
// flat, and every point must reach every client.
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { tempDir } from '../tests/helpers/fixtures.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

export interface SustainedResult {
  rssMb: number[]
  /** The server's JS heap and DuckDB's memory, sampled with RSS. */
  heapMb: number[]
  indexMb: number[]
  queuedKb: number[]
  received: number
  expected: number
  p50: number
  p99: number
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export async function benchSustained(o = { runs: 100, pointsPerSecond: 100_000, clients: 5, seconds: 60 }): Promise<SustainedResult> {
  const dir = tempDir('runwatch-sustained-')
  const root = join(dir.path, 'mlruns')
  const w = new MlflowFileStoreWriter(root)
  const exp = w.createExperiment('sustained')
  const files = Array.from({ length: o.runs }, (_, i) => {
    const run = w.createRun(exp, { name: `r${i}` })
    w.logMetric(run, 'loss', [{ timestamp: 0, value: 1, step: 0 }])
    return w.metricPath(run, 'loss')
  })
  const { url, child } = await spawnRunwatch(root, { stderr: 'inherit' })
  try {
    const worker = new Worker(new URL('./live-clients.js', import.meta.url), { workerData: { url: `${url.replace('http', 'ws')}/ws`, experimentId: exp, clients: o.clients, sampleEvery: 97 } })
    await new Promise((r) => worker.once('message', r))
    const clock = () => performance.timeOrigin + performance.now()
    const rss: number[] = []
    const queued: number[] = []
    const heap: number[] = []
    const indexMb: number[] = []
    const sample = async () => {
      rss.push(rssMb(child.pid!))
      const status = (await (await fetch(`${url}/api/status`)).json()) as { live: { slowestClientBytes: number }; memoryMb: { jsHeap: number; index: number } }
      queued.push(status.live.slowestClientBytes / 1024)
      heap.push(status.memoryMb.jsHeap)
      indexMb.push(status.memoryMb.index)
    }
    const sampler = setInterval(() => void sample().catch(() => undefined), 5000)
    const total = o.pointsPerSecond * o.seconds
    const started = performance.now()
    const steps = new Array<number>(o.runs).fill(0)
    let written = 0
    while (written < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.pointsPerSecond))
      // One append per run per slice, as a training loop's buffered writer would.
      const slice = due - written
      for (let r = 0; r < o.runs && slice > 0; r++) {
        const n = Math.floor(slice / o.runs) + (r < slice % o.runs ? 1 : 0)
        if (n === 0) continue
        let text = ''
        const t = clock()
        for (let i = 0; i < n; i++) text += `${Date.now()} ${t} ${++steps[r]!}\n`
        appendFileSync(files[r]!, text)
      }
      written = due
      await new Promise((r) => setTimeout(r, 10))
    }
    const expected = total * o.clients
    const report = () => new Promise<{ latencies: number[]; received: number }>((r) => {
      worker.once('message', r)
      worker.postMessage({ type: 'report' })
    })
    let last = await report()
    const deadline = performance.now() + 30_000
    while (last.received < expected && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      last = await report()
    }
    clearInterval(sampler)
    await sample()
    worker.postMessage({ type: 'stop' })
    await worker.terminate()
    const lat = [...last.latencies].sort((a, b) => a - b)
    const pick = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? NaN
    return { rssMb: rss, heapMb: heap, indexMb, queuedKb: queued, received: last.received, expected, p50: pick(0.5), p99: pick(0.99) }
  } finally {
    await stopRunwatch(child)
    dir.remove()
  }
}
