// A few worker threads working through a list of jobs, each a few jobs ahead,
// so reading and parsing a large store overlaps with indexing on this thread.
// Replies come back in any order across workers, in order within one.
import { Worker } from 'node:worker_threads'

/**
 * Each worker answers `{ id, ... }` to `{ id, job }` (see serveJobs). With
 * `ordered`, replies are handed on in job order (a SQLite table read in rowid
 * ranges keeps each series in store order); otherwise as they come.
 * `beforeSend` runs for each job just before it goes to a worker. Each
 * worker has up to `depth` jobs: it reads on while this thread is busy (at
 * the start of a SQLite read, comparing the small tables for a second or two),
 * and the replies waiting to be handed on stay bounded.
 */
export async function runInWorkers<Job, Reply>(
  entry: URL,
  jobs: Job[],
  threads: number,
  onReply: (job: Job, reply: Reply) => void | Promise<void>,
  { ordered = false, beforeSend, depth = 2 }: { ordered?: boolean; beforeSend?: (job: Job) => void; depth?: number } = {},
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
        const ask = asker<Reply>(worker)
        const request = () => {
          if (next >= jobs.length) return undefined
          const index = next++
          beforeSend?.(jobs[index]!)
          const reply = ask(id++, jobs[index])
          // A failure surfaces where this reply is awaited; the ones queued behind it must not go unhandled meanwhile.
          reply.catch(() => undefined)
          return { index, reply }
        }
        const inFlight: { index: number; reply: Promise<Reply> }[] = []
        const fill = () => {
          for (let r; inFlight.length < depth && (r = request()); ) inFlight.push(r)
        }
        fill()
        while (inFlight.length > 0) {
          const current = inFlight.shift()!
          const reply = await current.reply
          fill()
          // Wait for this reply to be handed on before taking the next: memory stays bounded.
          await deliver(current.index, reply)
        }
      }),
    )
    await chain
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

/** Sends jobs to one worker; one listener matches each reply to its job (not one listener per job in flight). */
function asker<Reply>(worker: Worker): (id: number, job: unknown) => Promise<Reply> {
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  worker.on('message', (message: { id: number; reply: Reply }) => {
    const w = waiting.get(message.id)
    waiting.delete(message.id)
    w?.resolve(message.reply)
  })
  const fail = (err: Error) => {
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
  }
  worker.on('error', fail)
  worker.on('exit', (code) => fail(new Error(`worker thread stopped (exit code ${code}) before it answered`)))
  return (id, job) =>
    new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject })
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
