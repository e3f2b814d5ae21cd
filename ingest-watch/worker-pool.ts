// A few worker threads working through a list of jobs, one job ahead each, so
// reading and parsing a large store overlaps with indexing on this thread.
// Replies come back in any order across workers, in order within one.
import { Worker } from 'node:worker_threads'

/**
 * Each worker answers `{ id, ... }` to `{ id, job }` (see serveJobs). With
 * `ordered`, replies are handed on in job order (a SQLite table read in rowid
 * ranges keeps each series in store order); otherwise as they come.
 * `beforeSend` runs for each job just before it goes to a worker.
 */
export async function runInWorkers<Job, Reply>(
  entry: URL,
  jobs: Job[],
  threads: number,
  onReply: (job: Job, reply: Reply) => void | Promise<void>,
  { ordered = false, beforeSend }: { ordered?: boolean; beforeSend?: (job: Job) => void } = {},
): Promise<void> {
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => new Worker(entry))
  let next = 0
  let id = 0
  // Replies are handed on one at a time, in job order when asked.
  const done = new Map<number, Reply>()
  let handOn = 0
  let chain: Promise<void> = Promise.resolve()
  const deliver = (index: number, reply: Reply) => {
    done.set(index, reply)
    chain = chain.then(async () => {
      while (ordered ? done.has(handOn) : done.size > 0) {
        const at = ordered ? handOn : done.keys().next().value!
        const r = done.get(at)!
        done.delete(at)
        if (ordered) handOn++
        await onReply(jobs[at]!, r)
      }
    })
    return chain
  }
  try {
    await Promise.all(
      workers.map(async (worker) => {
        const request = () => {
          if (next >= jobs.length) return undefined
          const index = next++
          beforeSend?.(jobs[index]!)
          return { index, reply: ask<Reply>(worker, id++, jobs[index]) }
        }
        let current = request()
        while (current) {
          const reply = await current.reply
          const following = request()
          // Wait for this reply to be handed on before asking for more: memory stays bounded.
          await deliver(current.index, reply)
          current = following
        }
      }),
    )
    await chain
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

function ask<Reply>(worker: Worker, id: number, job: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { id: number; reply: Reply }) => {
      if (message.id !== id) return
      worker.off('message', onMessage)
      worker.off('error', reject)
      resolve(message.reply)
    }
    worker.on('message', onMessage)
    worker.once('error', reject)
    worker.postMessage({ id, job })
  })
}

/** In a worker: answers each job with `handle(job)`, transferring the buffers it names. */
export async function serveJobs<Job, Reply>(handle: (job: Job) => { reply: Reply; transfer: ArrayBuffer[] }): Promise<void> {
  const { parentPort } = await import('node:worker_threads')
  parentPort!.on('message', ({ id, job }: { id: number; job: Job }) => {
    const { reply, transfer } = handle(job)
    parentPort!.postMessage({ id, reply }, [...new Set(transfer)])
  })
}
