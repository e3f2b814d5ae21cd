// Write → WebSocket latency: lines appended to metric files of a file store
// with a real `runwatch` process tailing it, timed until each point reaches
// every connected client.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

export interface LatencyOptions {
  runs: number
  hz: number
  clients: number
  seconds: number
}

export interface LatencyResult {
  p50: number
  p99: number
  max: number
  sent: number
  received: number
  expected: number
}

export async function benchLiveLatency(o: LatencyOptions): Promise<LatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-bench-'))
  const root = join(dir, 'mlruns')
  const w = new MlflowFileStoreWriter(root)
  const exp = w.createExperiment('latency')
  const runs = Array.from({ length: o.runs }, (_, i) => w.createRun(exp, { name: `r${i}` }))
  const files = runs.map((r) => {
    w.logMetric(r, 'loss', [{ timestamp: 0, value: 1, step: 0 }])
    return w.metricPath(r, 'loss')
  })

  const { url, child } = await spawnRunwatch(root, { stderr: 'inherit', ...(process.env.BENCH_PROFILE ? { profileDir: process.env.BENCH_PROFILE } : {}) })
  try {
    // Clients live in worker threads, so their JSON parsing does not delay the writer.
    const threads = Math.min(Number(process.env.BENCH_CLIENT_THREADS ?? 1), o.clients)
    const workers = Array.from({ length: threads }, (_, i) => {
      const share = Math.floor(o.clients / threads) + (i < o.clients % threads ? 1 : 0)
      return new Worker(new URL('./live-clients.js', import.meta.url), { workerData: { url: `${url.replace('http', 'ws')}/ws`, experimentId: exp, clients: share } })
    })
    await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))))

    // Spread the writes over 10 ms ticks at the requested total rate; each value is its write time.
    const clock = () => performance.timeOrigin + performance.now()
    let seq = 0
    const total = o.runs * o.hz * o.seconds
    const started = performance.now()
    while (seq < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.runs * o.hz))
      while (seq < due) {
        seq++
        appendFileSync(files[seq % o.runs]!, `${Date.now()} ${clock()} ${seq}\n`)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    const expected = total * o.clients
    const collect = async () =>
      (await Promise.all(
        workers.map((w) => new Promise<number[]>((r) => {
          w.once('message', (m: { latencies: number[] }) => r(m.latencies))
          w.postMessage({ type: 'report' })
        })),
      )).flat()
    let latencies = await collect()
    const deadline = performance.now() + 10_000
    while (latencies.length < expected && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
      latencies = await collect()
    }
    for (const w of workers) w.postMessage({ type: 'stop' })
    await Promise.all(workers.map((w) => w.terminate()))
    latencies.sort((a, b) => a - b)
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    return { p50: pick(0.5), p99: pick(0.99), max: latencies.at(-1) ?? NaN, sent: total, received: latencies.length, expected }
  } finally {
    await stopRunwatch(child)
    rmSync(dir, { recursive: true, force: true })
  }
}
