// Write → WebSocket latency: lines appended to metric files of a file store
// with a real `runwatch` process tailing it, timed until each point reaches
// every connected client.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { LiveConnection, type WebSocketLike } from '../client/src/live/connection.ts'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'

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

const BIN = join(import.meta.dirname, '..', 'bin', 'runwatch.js')

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

  const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []), BIN, root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /runwatch listening on (\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', (code) => reject(new Error(`runwatch exited with ${code}`)))
    })

    const sentAt = new Float64Array(o.runs * o.hz * o.seconds + o.runs + 10)
    const latencies: number[] = []
    let received = 0
    let synced = 0
    const conns = Array.from({ length: o.clients }, () =>
      new LiveConnection({
        url: `${url.replace('http', 'ws')}/ws`,
        createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
        onMessage: (m) => {
          if (m.type === 'synced') synced++
          if (m.type !== 'points') return
          const now = performance.now()
          for (const step of m.step) {
            if (step <= 0) continue
            received++
            latencies.push(now - sentAt[step]!)
          }
        },
      }),
    )
    conns.forEach((c) => c.subscribe({ sub: 'bench', experimentIds: [exp], metrics: ['loss'] }))
    while (synced < o.clients) await new Promise((r) => setTimeout(r, 20))

    // Spread the writes over 10 ms ticks at the requested total rate.
    let seq = 0
    const total = o.runs * o.hz * o.seconds
    const started = performance.now()
    while (seq < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.runs * o.hz))
      while (seq < due) {
        seq++
        appendFileSync(files[seq % o.runs]!, `${Date.now()} ${Math.random()} ${seq}\n`)
        sentAt[seq] = performance.now()
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    const expected = total * o.clients
    const deadline = performance.now() + 10_000
    while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    conns.forEach((c) => c.close())
    latencies.sort((a, b) => a - b)
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
    return { p50: pick(0.5), p99: pick(0.99), max: latencies.at(-1) ?? NaN, sent: total, received, expected }
  } finally {
    child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}
