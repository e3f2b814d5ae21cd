// A signals request as the server runs it: the rule, its parameters with
// their defaults, checked once for the REST endpoint and the WebSocket alike.
import type { Direction, SignalRule } from '../../protocol/index.ts'

export interface MedianParams { nStartupTrials: number; nWarmupSteps: number; intervalSteps: number; nMinTrials: number }
export interface VizierParams { gracePeriod: number; minSamples: number }
export interface AshaParams { gracePeriod: number; reductionFactor: number; maxT: number }

interface Common { key: string; direction: Direction }
export type SignalSpec =
  | (Common & { rule: 'median' } & MedianParams)
  | (Common & { rule: 'vizier' } & VizierParams)
  | (Common & { rule: 'asha' } & AshaParams)

export class SignalSpecError extends Error {}

type Check = (v: number) => boolean
const integer = (min: number): [Check, string] => [(v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`]
const number = (check: Check, text: string): [Check, string] => [(v) => Number.isFinite(v) && check(v), text]

// Optuna's and Ray's defaults and limits.
const PARAMS: Record<SignalRule, Record<string, { fallback: number; valid: [Check, string] }>> = {
  median: {
    nStartupTrials: { fallback: 5, valid: integer(0) },
    nWarmupSteps: { fallback: 0, valid: integer(0) },
    intervalSteps: { fallback: 1, valid: integer(1) },
    nMinTrials: { fallback: 1, valid: integer(1) },
  },
  vizier: {
    gracePeriod: { fallback: 0, valid: number((v) => v >= 0, 'a number >= 0') },
    minSamples: { fallback: 3, valid: integer(1) },
  },
  asha: {
    gracePeriod: { fallback: 1, valid: number((v) => v > 0, 'a number > 0') },
    reductionFactor: { fallback: 4, valid: number((v) => v > 1, 'a number > 1') },
    maxT: { fallback: 100, valid: number((v) => v > 0, 'a number > 0') },
  },
}

export const RULES = Object.keys(PARAMS) as SignalRule[]
const MAX_RUNGS = 64

/**
 * Checks a request object; `envelope` names the other fields it may carry
 * (the REST body's experimentIds and filter). Throws SignalSpecError with a
 * message for the client.
 */
export function parseSignalSpec(input: unknown, envelope: string[] = []): SignalSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new SignalSpecError('signals must be an object')
  const req = input as Record<string, unknown>
  if (typeof req.key !== 'string' || req.key === '') throw new SignalSpecError('key (the metric) must be a non-empty string')
  if (req.direction !== 'minimize' && req.direction !== 'maximize') throw new SignalSpecError("direction must be 'minimize' or 'maximize'")
  const rule = req.rule as SignalRule
  if (!RULES.includes(rule)) throw new SignalSpecError(`rule must be one of ${RULES.map((r) => `'${r}'`).join(', ')}`)
  const known = PARAMS[rule]
  const out: Record<string, unknown> = { key: req.key, direction: req.direction, rule }
  for (const name of Object.keys(req)) {
    if (name === 'key' || name === 'direction' || name === 'rule' || envelope.includes(name)) continue
    if (!(name in known)) throw new SignalSpecError(`unknown parameter '${name}' for rule '${rule}'; expected ${Object.keys(known).join(', ')}`)
  }
  for (const [name, { fallback, valid: [check, text] }] of Object.entries(known)) {
    const value = req[name] ?? fallback
    if (typeof value !== 'number' || !check(value)) throw new SignalSpecError(`${name} must be ${text}`)
    out[name] = value
  }
  const spec = out as unknown as SignalSpec
  if (spec.rule === 'asha') {
    if (spec.maxT < spec.gracePeriod) throw new SignalSpecError('maxT must be >= gracePeriod')
    if (ashaRungs(spec).length > MAX_RUNGS) throw new SignalSpecError(`these parameters give more than ${MAX_RUNGS} rungs; raise reductionFactor or lower maxT`)
  }
  return spec
}

/** ASHA's rungs: gracePeriod × η^k for k = 0, 1, … while at most maxT (Ray's milestones, ascending). */
export function ashaRungs(p: AshaParams): number[] {
  const rungs: number[] = []
  for (let r = p.gracePeriod; r <= p.maxT && rungs.length <= MAX_RUNGS; r *= p.reductionFactor) rungs.push(r)
  return rungs
}

/** One text per distinct request, for sharing a computation between subscriptions. */
export function specKey(spec: SignalSpec): string {
  return JSON.stringify(Object.entries(spec).sort(([a], [b]) => a.localeCompare(b)))
}
