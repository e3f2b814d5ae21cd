import { DuckDBInstance } from '@duckdb/node-api'
import { SCHEMA_SQL } from '../server/index/schema.ts'
const db = await DuckDBInstance.create(':memory:', { threads: '2' })
const c = await db.connect()
await c.run(SCHEMA_SQL)
await c.run(`INSERT INTO runs SELECT 'run' || i, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, 'name' || i, CASE WHEN i % 4 = 0 THEN 'FINISHED' ELSE 'RUNNING' END, 1790000000000 + i * 1000, NULL, 'active', 'u', '' FROM range(10000) t(i)`)
await c.run(`INSERT INTO params SELECT 'run' || i, 'param_' || p, ((i * 31 + p * 7) % 97 / 10)::VARCHAR FROM range(10000) t(i), range(30) u(p)`)
await c.run(`INSERT INTO latest_metrics SELECT i * 20 + m, 'run' || i, 'metric_' || m, random(), 99, 0, 0, 1, 100 FROM range(10000) t(i), range(20) u(m)`)
const f = `WHERE r.lifecycle_stage = 'active' AND list_contains(['a','b'], r.experiment_id) AND EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = 'metric_3' AND (NOT isnan(m.value) AND m.value < 0.2)) AND EXISTS (SELECT 1 FROM params x WHERE x.run_id = r.run_id AND x.key = 'param_2' AND x.value != '1.1') AND r.status = 'RUNNING'`
const order = `ORDER BY (SELECT CASE WHEN isnan(m.value) THEN NULL ELSE m.value END FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = 'metric_3') DESC NULLS LAST, r.run_id ASC`
async function t(name: string, sql: string) { for (let k = 0; k < 3; k++) { const s = performance.now(); const r = await c.runAndReadAll(sql); if (k === 2) console.log(name, (performance.now() - s).toFixed(1), 'ms', r.currentRowCount) } }
await t('current', `SELECT r.run_id, count(*) OVER () FROM runs r ${f} ${order} LIMIT 100`)
await t('no window', `SELECT r.run_id FROM runs r ${f} ${order} LIMIT 100`)
await t('no order', `SELECT r.run_id FROM runs r ${f} LIMIT 100`)
await t('joins', `SELECT r.run_id, count(*) OVER () FROM runs r JOIN latest_metrics m ON m.run_id = r.run_id AND m.key = 'metric_3' JOIN params x ON x.run_id = r.run_id AND x.key = 'param_2' WHERE r.lifecycle_stage = 'active' AND NOT isnan(m.value) AND m.value < 0.2 AND x.value != '1.1' AND r.status = 'RUNNING' ORDER BY m.value DESC NULLS LAST, r.run_id LIMIT 100`)
await t('semi via IN', `SELECT r.run_id, count(*) OVER () FROM runs r WHERE r.run_id IN (SELECT run_id FROM latest_metrics WHERE key = 'metric_3' AND NOT isnan(value) AND value < 0.2) AND r.run_id IN (SELECT run_id FROM params WHERE key = 'param_2' AND value != '1.1') AND r.status = 'RUNNING' ${order} LIMIT 100`)
await t('semi + join order, no window', `SELECT r.run_id FROM runs r LEFT JOIN latest_metrics o ON o.run_id = r.run_id AND o.key = 'metric_3' WHERE r.run_id IN (SELECT run_id FROM latest_metrics WHERE key = 'metric_3' AND NOT isnan(value) AND value < 0.2) AND r.run_id IN (SELECT run_id FROM params WHERE key = 'param_2' AND value != '1.1') AND r.status = 'RUNNING' ORDER BY CASE WHEN isnan(o.value) THEN NULL ELSE o.value END DESC NULLS LAST, r.run_id LIMIT 101`)
await t('all 1000 no filter', `SELECT r.run_id FROM runs r WHERE r.lifecycle_stage = 'active' ORDER BY r.start_time DESC NULLS LAST, r.run_id LIMIT 1001`)
