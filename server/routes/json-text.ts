// JSON written as text, for responses too large to build as objects first
// (thousands of runs, hundreds of thousands of points): the same bytes
// JSON.stringify writes for the same values.
import type { Context } from 'hono'
import { toWire } from '../../protocol/index.ts'

/** A number as JSON.stringify writes it (a non-finite one as null). */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

/** A metric value as the wire spells it: non-finite values are strings (see toWire). */
export function wireNumberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : JSON.stringify(toWire(n))
}

/** An object of members already written as JSON; undefined ones are left out. */
export function jsonObject(members: Record<string, string | undefined>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(members)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${v}`)
  return `{${parts.join(',')}}`
}

/** Answers with JSON text, with the headers c.json sets. */
export function jsonText(c: Context, text: string): Response {
  return c.body(text, 200, { 'Content-Type': 'application/json' })
}
