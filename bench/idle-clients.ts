// What idle live connections cost the server: RSS before and after N clients subscribe.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

export async function benchIdleClients(clients: number): Promise<{ before: number; after: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-idle-'))
  const w = new MlflowFileStoreWriter(join(dir, 'mlruns'))
  const exp = w.createExperiment('idle')
  for (let r = 0; r < 20; r++) {
    const run = w.createRun(exp, { name: `r${r}`, params: { lr: String(r) } })
    w.logMetric(run, 'loss', Array.from({ length: 100 }, (_, s) => ({ timestamp: s, value: 1 / (s + 1), step: s })))
  }
  const { url, child } = await spawnRunwatch(join(dir, 'mlruns'))
  const sockets: WebSocket[] = []
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const before = rssMb(child.pid!)
    for (let i = 0; i < clients; i++) {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
      sockets.push(ws)
      await new Promise((r) => ws.once('open', r))
      const synced = new Promise((r) => ws.on('message', (d) => JSON.parse(d.toString()).type === 'synced' && r(undefined)))
      ws.send(JSON.stringify({ type: 'subscribe', sub: 'wall', experimentIds: [exp], metrics: ['loss'] }))
      await synced
    }
    await new Promise((r) => setTimeout(r, 2000))
    return { before, after: rssMb(child.pid!) }
  } finally {
    for (const ws of sockets) ws.terminate()
    await stopRunwatch(child)
    rmSync(dir, { recursive: true, force: true })
  }
}
