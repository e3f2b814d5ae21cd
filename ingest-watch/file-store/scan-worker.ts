// A scan worker: reads whole run folders and sends the results back, the
// metric columns transferred, not copied.
import { parentPort } from 'node:worker_threads'
import { readRunFolder, type RunFolder, type RunLocationRef } from './run-folder.ts'

export interface ScanRequest {
  id: number
  root: string
  runs: RunLocationRef[]
  retryDelays: number[]
}

export interface ScanReply {
  id: number
  results: RunFolder[]
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
const sleep = (ms: number) => void Atomics.wait(sleeper, 0, 0, ms)

parentPort!.on('message', (req: ScanRequest) => {
  const results = req.runs.map((where) => readRunFolder(req.root, where, req.retryDelays, sleep))
  const buffers = new Set<ArrayBuffer>()
  for (const r of results) for (const m of r.metrics) for (const b of m.batches) for (const a of [b.timestamp, b.value, b.step]) buffers.add(a.buffer as ArrayBuffer)
  parentPort!.postMessage({ id: req.id, results } satisfies ScanReply, [...buffers])
})
