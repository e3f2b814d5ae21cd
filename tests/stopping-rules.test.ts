// The early-stopping rules on hand-computed cases, in a real DuckDB index.
// Numbers are chosen so the medians and quantiles can be checked by hand.
import { afterEach, describe, expect, it } from 'vitest'
import type { MetricBatch, RunRecord, StoreEvent } from '../ingest-watch/events.ts'
import type { SignalsResponse } from '../protocol/index.ts'
import { RunIndex } from '../server/index/run-index.ts'
import { parseFilter } from '../server/query/filter-grammar.ts'
import { SignalSession } from '../server/signals/session.ts'
import { parseSignalSpec } from '../server/signals/spec.ts'

const open: { close(): void }[] = []
afterEach(() => open.splice(0).forEach((x) => x.close()))

type Series = Record<number, number> | number[]
interface RunDef { status?: RunRecord['status']; loss?: Series; tick?: number }

const run = (runId: string, status: RunRecord['status']): StoreEvent => ({
  type: 'run',
  run: { runId, experimentId: '1', name: runId, status, startTime: 0, endTime: null, lifecycleStage: 'active', userId: 'u', artifactUri: '' },
})
/** A run's loss by step (an array is steps 0, 1, …); the point at step s is logged at time 10·s + tick. */
function metric(runId: string, values: Series, tick = 0, key = 'loss'): StoreEvent {
  const entries = Array.isArray(values) ? values.map((v, s) => [s, v] as const) : Object.entries(values).map(([s, v]) => [Number(s), v] as const)
  return {
    type: 'metrics',
    batch: {
      runId, key,
      step: Float64Array.from(entries.map(([s]) => s)),
      timestamp: Float64Array.from(entries.map(([s]) => 10 * s + tick)),
      value: Float64Array.from(entries.map(([, v]) => v)),
    } satisfies MetricBatch,
  }
}

async function indexOf(runs: Record<string, RunDef>): Promise<RunIndex> {
  const idx = await RunIndex.open()
  open.push(idx)
  await idx.apply(Object.entries(runs).flatMap(([id, r]) => [run(id, r.status ?? 'RUNNING'), ...(r.loss ? [metric(id, r.loss, r.tick)] : [])]))
  return idx
}

async function signals(idx: RunIndex, request: Record<string, unknown>, filter?: string): Promise<SignalsResponse> {
  const session = await SignalSession.open(idx, { experimentIds: ['1'], ...(filter ? { filter: parseFilter(filter, 'runwatch') } : {}) }, parseSignalSpec({ key: 'loss', direction: 'minimize', ...request }))
  open.push(session)
  return session.answer()
}

/** runId → [wouldStopAt, candidate] */
const verdicts = (a: SignalsResponse) => Object.fromEntries(a.runs.runId.map((id, i) => [id, [a.runs.wouldStopAt[i], a.runs.candidate[i]]]))
const negate = (runs: Record<string, RunDef>): Record<string, RunDef> =>
  Object.fromEntries(Object.entries(runs).map(([id, r]) => [id, { ...r, ...(r.loss ? { loss: Object.fromEntries(Object.entries(r.loss).map(([s, v]) => [s, -v])) } : {}) }]))

describe("median rule (Optuna's MedianPruner)", () => {
  // Completed runs' values per step: s0 {4, 6, 2} → 4; s1 {3, 5, 2} → 3; s2 {2, 4, 2} → 2; s3 {1, 3, 2} → 2.
  const sweep: Record<string, RunDef> = {
    c1: { status: 'FINISHED', loss: [4, 3, 2, 1] },
    c2: { status: 'FINISHED', loss: [6, 5, 4, 3] },
    c3: { status: 'FINISHED', loss: [2, 2, 2, 2] },
    worse: { loss: [5, 3, 2.5] }, // 5 > 4 at step 0; at its latest step, best 2.5 > 2
    ties: { loss: [4, 3, 1] }, // equal to the median is not worse
    allNaN: { loss: [NaN, NaN] }, // nanmin of only NaN: pruned
    nanFirst: { loss: [NaN, 2.5] }, // all NaN at step 0; at step 1 best 2.5 < 3
    dips: { loss: [3.9, 3.5, 1] }, // worse only at step 1
    sparse: { loss: { 0: 3.9, 3: 2.5 } }, // no steps 1, 2
    failed: { status: 'FAILED', loss: [9, 9] }, // not completed: judged, never a candidate
  }

  it('stops a run whose best so far is worse than the median of the completed runs at that step', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 3 })
    expect(verdicts(a)).toEqual({
      c1: [null, false], c2: [0, false], c3: [null, false],
      worse: [0, true], ties: [null, false], allNaN: [0, true], nanFirst: [0, false], dips: [1, false], sparse: [3, true], failed: [0, false],
    })
    expect(a.band).toEqual({ step: [0, 1, 2, 3], value: [4, 3, 2, 2], count: [3, 3, 3, 3] })
    expect(a.completed).toBe(3)
    expect(a.parameters).toEqual({ nStartupTrials: 3, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 })
    const at = a.runs.runId.indexOf('worse')
    expect([a.runs.lastStep[at], a.runs.best[at], a.runs.status[at]]).toEqual([2, 2.5, 'RUNNING'])
  })

  it('judges nothing with fewer completed runs than nStartupTrials (default 5)', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median' })
    expect(a.runs.wouldStopAt.every((w) => w === null)).toBe(true)
    expect(a.runs.candidate.some(Boolean)).toBe(false)
    expect(a.band.value).toEqual([4, 3, 2, 2])
  })

  it('skips the warm-up steps, and a run shorter than the warm-up is never judged', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 3, nWarmupSteps: 1 })
    // worse: step 1 best 3 = 3, step 2 best 2.5 > 2; dips: 3.5 > 3 at step 1; allNaN judged at step 1.
    expect(verdicts(a)).toMatchObject({ worse: [2, true], dips: [1, false], allNaN: [1, true], nanFirst: [null, false], sparse: [3, true] })
    const short = await signals(await indexOf({ ...sweep, short: { loss: [100] } }), { rule: 'median', nStartupTrials: 3, nWarmupSteps: 1 })
    expect(verdicts(short).short).toEqual([null, false])
  })

  it('judges only the first reported step of each interval (Optuna: previous step below the interval start)', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 3, intervalSteps: 2 })
    // Steps 0 and 2 with every step reported; dips was worse only at step 1. sparse reports step 3 first in [2, 4).
    // nanFirst's latest judged step is 0 (all NaN there): still a candidate.
    expect(verdicts(a)).toMatchObject({ dips: [null, false], sparse: [3, true], worse: [0, true], nanFirst: [0, true] })
  })

  it('needs nMinTrials completed values at the step, but prunes an all-NaN run regardless', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 3, nMinTrials: 4 })
    expect(verdicts(a)).toMatchObject({ worse: [null, false], allNaN: [0, true], nanFirst: [0, false] })
    expect(a.band).toEqual({ step: [], value: [], count: [] })
  })

  it("ignores NaN in the completed runs' values but counts them for nMinTrials; only NaN at a step judges nothing", async () => {
    const idx = await indexOf({
      c1: { status: 'FINISHED', loss: [1, NaN] },
      c2: { status: 'FINISHED', loss: [3, NaN] },
      c3: { status: 'FINISHED', loss: [NaN, 5] },
      r: { loss: [2.5, 2.5] },
    })
    // s0: median of {1, 3} = 2, two values of three; s1: {5}, NaN ignored.
    const a = await signals(idx, { rule: 'median', nStartupTrials: 3, nMinTrials: 3 })
    expect(a.band).toEqual({ step: [0, 1], value: [2, 5], count: [3, 3] })
    expect(verdicts(a).r).toEqual([0, false])
    const onlyNaN = await signals(await indexOf({ c: { status: 'FINISHED', loss: [NaN] }, r: { loss: [7] } }), { rule: 'median', nStartupTrials: 1 })
    expect(verdicts(onlyNaN).r).toEqual([null, false])
    expect(onlyNaN.band.step).toEqual([])
  })

  it('gives the same verdicts for maximize on negated values, with the band negated', async () => {
    const min = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 3 })
    const max = await signals(await indexOf(negate(sweep)), { rule: 'median', nStartupTrials: 3, direction: 'maximize' })
    expect(verdicts(max)).toEqual(verdicts(min))
    expect(max.band.value).toEqual([-4, -3, -2, -2])
    expect(max.runs.best[max.runs.runId.indexOf('worse')]).toBe(-2.5)
  })

  it('compares within the selection: a filter chooses the runs, completed ones included', async () => {
    const a = await signals(await indexOf(sweep), { rule: 'median', nStartupTrials: 1 }, "attributes.run_name IN ('c3', 'ties')")
    // The only completed run is c3 (2 at every step): ties is worse at step 0 (4 > 2), not at step 2 (1 < 2).
    expect(verdicts(a)).toEqual({ c3: [null, false], ties: [0, false] })
  })
})

describe('Vizier / Ray median stopping rule', () => {
  // Running averages of the completed runs: c1 [4, 3, 2], c2 [6, 5, 4], c3 [2, 2, 2] → medians 4, 3, 2.
  const sweep: Record<string, RunDef> = {
    c1: { status: 'FINISHED', loss: [4, 2, 0] },
    c2: { status: 'FINISHED', loss: [6, 4, 2] },
    c3: { status: 'FINISHED', loss: [2, 2, 2] },
    worse: { loss: [5, 3.5, 2.5] },
    ties: { loss: [4, 3, 2] },
    allNaN: { loss: [NaN, NaN] },
  }

  it("stops a run whose best so far is worse than the median of the completed runs' running averages", async () => {
    const a = await signals(await indexOf(sweep), { rule: 'vizier' })
    expect(verdicts(a)).toEqual({ c1: [null, false], c2: [0, false], c3: [null, false], worse: [0, true], ties: [null, false], allNaN: [0, true] })
    expect(a.band).toEqual({ step: [0, 1, 2], value: [4, 3, 2], count: [3, 3, 3] })
    expect(a.parameters).toEqual({ gracePeriod: 0, minSamples: 3 })
  })

  it('waits for the grace period and for minSamples completed runs', async () => {
    const grace = await signals(await indexOf(sweep), { rule: 'vizier', gracePeriod: 1 })
    expect(verdicts(grace)).toMatchObject({ worse: [1, true], allNaN: [1, true] })
    const few = await signals(await indexOf(sweep), { rule: 'vizier', minSamples: 4 })
    expect(few.runs.wouldStopAt.every((w) => w === null)).toBe(true)
    expect(few.band.step).toEqual([])
  })

  it('averages only the completed runs that reached the step, leaving NaN out of the averages', async () => {
    const idx = await indexOf({
      ...sweep,
      early: { status: 'FINISHED', loss: [0] }, // reached step 0 only
      nan: { status: 'FINISHED', loss: [NaN, 7, 1] }, // averages: none, 7, 4
      r: { loss: { 0: 3.5, 2: 2.9 } }, // no step 1
    })
    const a = await signals(idx, { rule: 'vizier' })
    // s0: {4, 6, 2, 0} → 3; s1: {3, 5, 2, 7} → 4; s2: {2, 4, 2, 4} → 3.
    expect(a.band).toEqual({ step: [0, 1, 2], value: [3, 4, 3], count: [4, 4, 4] })
    expect(verdicts(a).r).toEqual([0, false]) // 3.5 > 3 at step 0; at step 2, 2.9 < 3
  })

  it('gives the same verdicts for maximize on negated values', async () => {
    const min = await signals(await indexOf(sweep), { rule: 'vizier' })
    const max = await signals(await indexOf(negate(sweep)), { rule: 'vizier', direction: 'maximize' })
    expect(verdicts(max)).toEqual(verdicts(min))
    expect(max.band.value).toEqual([-4, -3, -2])
  })
})

describe('ASHA rungs', () => {
  // Rungs 1, 2, 4 (grace 1, η 2, maxT 4): the cutoff is the median of earlier records. Points at time 10·step + tick.
  const sweep: Record<string, RunDef> = {
    a: { loss: [9, 5, 4, 3, 2], tick: 0 },
    b: { loss: [9, 6, 5, 4, 3], tick: 1 },
    c: { loss: [9, 4, 6, 5, 1], tick: 2 },
    d: { loss: [9, NaN, 3, 2, 1], tick: 3 },
  }
  const asha = { rule: 'asha', gracePeriod: 1, reductionFactor: 2, maxT: 4 }

  it('stops a run worse than the 1/η quantile of the runs that reached the rung before it, and marks the top 1/η', async () => {
    const a = await signals(await indexOf(sweep), asha)
    // rung 1: a 5 first; b 6 > 5; c 4 < 5.5; d NaN. rung 2: a 4; b 5 > 4; c 6 > 4.5; d 3 < 5. rung 4: a 2; b 3 > 2; c 1 < 2.5; d 1 < 2.
    expect(verdicts(a)).toEqual({ a: [null, false], b: [1, true], c: [2, false], d: [null, false] })
    expect(a.band).toEqual({ step: [1, 2, 4], value: [5, 4.5, 1.5], count: [4, 4, 4] })
    const cell = (run: string, rung: number) => {
      const i = a.rungs!.runId.findIndex((r, j) => r === run && a.rungs!.rung[j] === rung)
      return [a.rungs!.step[i], a.rungs!.value[i], a.rungs!.inTop[i], a.rungs!.stop[i]]
    }
    expect(cell('a', 1)).toEqual([1, 5, true, false])
    expect(cell('b', 1)).toEqual([1, 6, false, true])
    expect(cell('d', 1)).toEqual([1, 'NaN', false, false])
    expect(cell('d', 2)).toEqual([2, 3, true, false])
    expect(cell('c', 4)).toEqual([4, 1, true, false])
    expect(a.parameters).toEqual({ gracePeriod: 1, reductionFactor: 2, maxT: 4 })
  })

  it('records a run at its first step at or past each rung, and breaks ties in time by run id', async () => {
    const a = await signals(await indexOf({ ...sweep, e: { loss: { 0: 9, 3: 7 }, tick: 1 } }), asha)
    const rungsOf = (run: string) => a.rungs!.runId.flatMap((r, i) => (r === run ? [[a.rungs!.rung[i], a.rungs!.step[i], a.rungs!.stop[i]]] : []))
    // e reaches rungs 1 and 2 at step 3 (time 31): after every run at both. Rung 1: {5, 6, 4} → 5, 7 > 5; rung 2: {4, 5, 6, 3} → 4.5.
    expect(rungsOf('e')).toEqual([[1, 3, true], [2, 3, true]])
    expect(verdicts(a).e).toEqual([3, true])
    const tie = await signals(await indexOf({ x: { loss: [0, 2] }, y: { loss: [0, 1] } }), { ...asha, maxT: 1 })
    // Same time at rung 1: x (first by id) is not judged, y is compared with x.
    expect(verdicts(tie)).toEqual({ x: [null, false], y: [null, false] })
    const tie2 = await signals(await indexOf({ x: { loss: [0, 1] }, y: { loss: [0, 2] } }), { ...asha, maxT: 1 })
    expect(verdicts(tie2)).toEqual({ x: [null, false], y: [1, true] })
  })

  it('gives the same verdicts for maximize on negated values', async () => {
    const min = await signals(await indexOf(sweep), asha)
    const max = await signals(await indexOf(negate(sweep)), { ...asha, direction: 'maximize' })
    expect(verdicts(max)).toEqual(verdicts(min))
    expect(max.band.value).toEqual([-5, -4.5, -1.5])
  })
})

describe('incremental updates', () => {
  it('follows new points, a run that finishes, a re-logged step and a new run exactly as a fresh computation', async () => {
    const idx = await indexOf({
      c1: { status: 'FINISHED', loss: [4, 3, 2, 1] },
      c2: { status: 'FINISHED', loss: [6, 5, 4, 3] },
      r1: { loss: [3] },
      r2: { loss: [5, 4] },
    })
    for (const rule of [{ rule: 'median', nStartupTrials: 2 }, { rule: 'vizier', minSamples: 2 }, { rule: 'asha', gracePeriod: 1, reductionFactor: 2, maxT: 4 }]) {
      const spec = parseSignalSpec({ key: 'loss', direction: 'minimize', ...rule })
      const live = await SignalSession.open(idx, { experimentIds: ['1'] }, spec)
      open.push(live)
      const steps: StoreEvent[][] = [
        [metric('r1', { 1: 3.5, 2: 1.5 }, 5)],
        [run('r2', 'FINISHED')],
        [metric('r1', { 2: 9 }, 7)], // step 2 logged again: the last value counts
        [run('r3', 'RUNNING'), metric('r3', [8, 8, 8], 9)],
        [metric('r3', { 3: 0.5 }, 9), metric('r1', { 1: 0.1 }, 9)], // r1: a late, lower step
      ]
      for (const events of steps) {
        const changes = await idx.apply(events)
        await live.update({ runs: changes.changedRunIds.length > 0, batches: changes.batches })
        const fresh = await SignalSession.open(idx, { experimentIds: ['1'] }, spec)
        open.push(fresh)
        expect(await live.answer()).toEqual(await fresh.answer())
        for (const id of ['r1', 'r2', 'r3']) {
          const i = (await fresh.answer()).runs.runId.indexOf(id)
          if (i >= 0) expect(live.stopOf(id)).toEqual({ wouldStopAt: (await fresh.answer()).runs.wouldStopAt[i], candidate: (await fresh.answer()).runs.candidate[i] })
        }
      }
    }
  })
})

describe('a session that rebuilds its reference', () => {
  it('keeps answering like a fresh computation after live batches and a run that finishes', async () => {
    // 30 runs × ~50 steps: its tables are rebuilt when run-1 finishes, after statements were prepared against them.
    const curve = (r: number, steps: number[]) => metric(`run-${r}`, Object.fromEntries(steps.map((s) => [s, Math.exp(-s / (20 + r))])), r)
    const length = (r: number) => (r % 3 === 0 ? 50 : 45)
    const idx = await indexOf({})
    await idx.apply(Array.from({ length: 30 }, (_, r) => [run(`run-${r}`, r % 3 === 0 ? 'FINISHED' : 'RUNNING'), curve(r, Array.from({ length: length(r) }, (_, s) => s))]).flat())
    for (const request of [{ rule: 'vizier' }, { rule: 'median' }, { rule: 'asha', maxT: 50 }]) {
      const spec = parseSignalSpec({ key: 'loss', direction: 'minimize', ...request })
      const live = await SignalSession.open(idx, { experimentIds: ['1'] }, spec)
      open.push(live)
      for (let b = 0; b < 3; b++) {
        const changes = await idx.apply(Array.from({ length: 30 }, (_, r) => r).filter((r) => r % 3 !== 0).map((r) => curve(r, [length(r) + b])))
        await live.update({ runs: false, batches: changes.batches })
      }
      const finished = await idx.apply([run('run-1', 'FINISHED')])
      await live.update({ runs: true, batches: finished.batches })
      const fresh = await SignalSession.open(idx, { experimentIds: ['1'] }, spec)
      open.push(fresh)
      expect(await live.answer()).toEqual(await fresh.answer())
      await idx.apply([run('run-1', 'RUNNING')])
    }
  })
})

describe('signal requests', () => {
  it.each([
    [{ key: '', direction: 'minimize', rule: 'median' }, /key \(the metric\) must be a non-empty string/],
    [{ key: 'loss', direction: 'down', rule: 'median' }, /direction must be 'minimize' or 'maximize'/],
    [{ key: 'loss', direction: 'minimize', rule: 'hyperband' }, /rule must be one of 'median', 'vizier', 'asha'/],
    [{ key: 'loss', direction: 'minimize', rule: 'median', gracePeriod: 1 }, /unknown parameter 'gracePeriod' for rule 'median'; expected nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials/],
    [{ key: 'loss', direction: 'minimize', rule: 'median', intervalSteps: 0 }, /intervalSteps must be an integer >= 1/],
    [{ key: 'loss', direction: 'minimize', rule: 'median', nWarmupSteps: 1.5 }, /nWarmupSteps must be an integer >= 0/],
    [{ key: 'loss', direction: 'minimize', rule: 'vizier', minSamples: '3' }, /minSamples must be an integer >= 1/],
    [{ key: 'loss', direction: 'minimize', rule: 'asha', reductionFactor: 1 }, /reductionFactor must be a number > 1/],
    [{ key: 'loss', direction: 'minimize', rule: 'asha', gracePeriod: 10, maxT: 5 }, /maxT must be >= gracePeriod/],
    [{ key: 'loss', direction: 'minimize', rule: 'asha', reductionFactor: 1.01, maxT: 1e9 }, /more than 64 rungs/],
  ])('rejects %j', (request, message) => {
    expect(() => parseSignalSpec(request)).toThrow(message)
  })
})
