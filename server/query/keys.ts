// The metric, param and tag keys in use by runs of some experiments: the
// column picker and the filter's autocompletion offer exactly these.
import { listValue } from '@duckdb/node-api'
import type { RunKeys } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'

export async function runKeys(index: RunIndex, experimentIds: string[] | undefined): Promise<RunKeys> {
  if (experimentIds?.length === 0) return { metrics: [], params: [], tags: [] }
  const scope = experimentIds ? 'WHERE list_contains($exps, r.experiment_id)' : ''
  const values = experimentIds ? { exps: listValue(experimentIds) } : {}
  const keysOf = (table: string) =>
    `SELECT DISTINCT '${table}' AS kind, t.key FROM ${table} t JOIN runs r USING (run_id) ${scope}`
  const [kinds = [], keys = []] = (await index.columns(
    `${keysOf('latest_metrics')} UNION ALL ${keysOf('params')} UNION ALL ${keysOf('tags')} ORDER BY 1, 2`,
    values,
    2,
  )) as [string[], string[]]
  const out: RunKeys = { metrics: [], params: [], tags: [] }
  const target: Record<string, string[]> = { latest_metrics: out.metrics, params: out.params, tags: out.tags }
  for (let i = 0; i < kinds.length; i++) target[kinds[i]!]!.push(keys[i]!)
  return out
}
