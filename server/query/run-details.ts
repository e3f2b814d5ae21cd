// Everything the run page shows about one run in one answer: its summary,
// per-metric statistics, and its place in a tree of nested runs.
import type { MetricStats, RunDetails } from '../../protocol/index.ts'
import { toWire } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'

const PARENT_TAG = 'mlflow.parentRunId'

/** undefined when the run is not in the index. */
export async function runDetails(index: RunIndex, runId: string): Promise<RunDetails | undefined> {
  const [run] = await index.runSummaries({ runIds: [runId], includeDeleted: true })
  if (!run) return undefined
  const [keys = [], mins = [], maxs = [], counts = []] = (await index.columns(
    `SELECT key, min_value, max_value, count::DOUBLE FROM latest_metrics WHERE run_id = $run ORDER BY key`,
    { run: runId },
    4,
  )) as [string[], (number | null)[], (number | null)[], number[]]
  const metricStats: Record<string, MetricStats> = {}
  keys.forEach((key, i) => {
    metricStats[key] = { min: mins[i] === null ? null : toWire(mins[i]!), max: maxs[i] === null ? null : toWire(maxs[i]!), count: counts[i]! }
  })
  const [childIds = [], childNames = [], childStatuses = []] = (await index.columns(
    `SELECT r.run_id, r.name, r.status FROM tags t JOIN runs r USING (run_id)
     WHERE t.key = '${PARENT_TAG}' AND t.value = $run AND r.lifecycle_stage = 'active'
     ORDER BY r.start_time, r.run_id`,
    { run: runId },
    3,
  )) as [string[], string[], RunDetails['children'][number]['status'][]]
  const parentId = run.tags[PARENT_TAG]
  const [parent] = parentId ? await index.runSummaries({ runIds: [parentId], includeDeleted: true }) : []
  return {
    run,
    metricStats,
    // A parent that is not (or no longer) in the store is still named by its id.
    parent: parent ? { runId: parent.runId, name: parent.name, status: parent.status } : parentId ? { runId: parentId } : null,
    children: childIds.map((id, i) => ({ runId: id, name: childNames[i]!, status: childStatuses[i]! })),
  }
}
