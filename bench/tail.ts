// The file-store tail on its own (no server): how fast appended lines become
// events, and how long one append takes to arrive as an event.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MlflowFileStoreWriter, metricLines, type MetricPoint } from '../demo/mlflow-file-writer.ts'
import { FileStoreSource } from '../ingest-watch/file-store/source.ts'

function store(files: number) {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-tail-'))
  const w = new MlflowFileStoreWriter(join(dir, 'mlruns'))
  const exp = w.createExperiment('tail')
  const paths = Array.from({ length: files }, (_, i) => {
    const run = w.createRun(exp, { name: `r${i}` })
    w.logMetric(run, 'loss', [{ timestamp: 0, value: 1, step: 0 }])
    return w.metricPath(run, 'loss')
  })
  return { dir, root: join(dir, 'mlruns'), paths }
}

/** Appends `perFile` lines to each of `files` files as fast as possible; points/s until all are events. */
export async function benchTailThroughput(files: number, perFile: number): Promise<number> {
  const { dir, root, paths } = store(files)
  let received = 0
  const source = new FileStoreSource(root, { log: () => {} })
  await source.start((events) => {
    for (const e of events) if (e.type === 'metrics') received += e.batch.value.length
  })
  received = 0
  const total = files * perFile
  const started = performance.now()
  // Writers append in blocks of 1,000 lines, as log_batch does.
  for (let from = 1; from <= perFile; from += 1000) {
    for (const path of paths) {
      const points: MetricPoint[] = []
      for (let s = from; s < Math.min(from + 1000, perFile + 1); s++) points.push({ timestamp: s, value: 1 / s, step: s })
      appendFileSync(path, metricLines(points))
    }
    await new Promise((r) => setImmediate(r))
  }
  while (received < total) await new Promise((r) => setTimeout(r, 5))
  const seconds = (performance.now() - started) / 1000
  await source.close()
  rmSync(dir, { recursive: true, force: true })
  return total / seconds
}

/** Append → event latency at `rate` points/s spread over `files` files; returns [p50, p99] in ms. */
export async function benchTailLatency(files: number, rate: number, seconds: number): Promise<[number, number]> {
  const { dir, root, paths } = store(files)
  const sentAt = new Float64Array(rate * seconds + 10)
  const latencies: number[] = []
  const source = new FileStoreSource(root, { log: () => {} })
  await source.start((events) => {
    const now = performance.now()
    for (const e of events) if (e.type === 'metrics') for (const s of e.batch.step) if (s > 0) latencies.push(now - sentAt[s]!)
  })
  let seq = 0
  const total = rate * seconds
  const started = performance.now()
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate))
    while (seq < due) {
      seq++
      appendFileSync(paths[seq % files]!, `${Date.now()} ${Math.random()} ${seq}\n`)
      sentAt[seq] = performance.now()
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  while (latencies.length < total) await new Promise((r) => setTimeout(r, 20))
  await source.close()
  rmSync(dir, { recursive: true, force: true })
  latencies.sort((a, b) => a - b)
  return [latencies[Math.floor(0.5 * latencies.length)]!, latencies[Math.floor(0.99 * latencies.length)]!]
}
