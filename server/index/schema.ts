// The DuckDB index: derived from the store, rebuilt at every start. Each
// upserted table has a `_stage` twin without keys, bulk-loaded by an appender
// and merged with one INSERT OR REPLACE. Points name their series by a small
// integer (run and key live once in `series`), and keep step and timestamp as
// DOUBLE: exact to 2^53, and appended without a BigInt per value. `seq` is a
// point's position in its series in store order (file lines, SQLite rowids):
// the same in every process that reads the store, so live cursors survive restarts.
// `last_timestamp` is a series' newest point time, whatever its step: run health
// measures silence from it. `run_cadence` keeps each RUNNING run's median
// logging interval, refreshed every few seconds (server/signals/cadence.ts).

/**
 * Tables read by key (a filter or an order on params.lr, metrics.loss): see
 * CLUSTER_BY_KEY_SQL. `key_id` names the key by a small integer (one
 * dictionary for all three, RunIndex.keyId): searches select a key's rows by
 * it, an integer comparison instead of a string one on every row (a 3-clause
 * search over 10,000 runs: 10 → 6 ms of DuckDB time).
 */
const KEYED_TABLES = {
  params: { columns: 'run_id VARCHAR, key VARCHAR, value VARCHAR, key_id INTEGER', primaryKey: 'run_id, key' },
  tags: { columns: 'run_id VARCHAR, key VARCHAR, value VARCHAR, key_id INTEGER', primaryKey: 'run_id, key' },
  latest_metrics: {
    columns: `series_id INTEGER, run_id VARCHAR, key VARCHAR, value DOUBLE, step DOUBLE, timestamp DOUBLE,
  min_value DOUBLE, max_value DOUBLE, count BIGINT, last_timestamp DOUBLE, key_id INTEGER`,
    primaryKey: 'series_id',
  },
}
const KEYED_COLUMNS = Object.fromEntries(
  Object.entries(KEYED_TABLES).map(([t, { columns, primaryKey }]) => [t, `(${columns}, PRIMARY KEY (${primaryKey}))`]),
) as Record<keyof typeof KEYED_TABLES, string>

/**
 * A keyed table `t` rebuilt from `select`, clustered by key. The primary key
 * is added once the rows are in: built in one pass over them instead of
 * checked and inserted row by row (on 300,000 params about a third of the
 * CPU; finishScan over 10,000 runs, about half).
 */
function rebuildClustered(t: keyof typeof KEYED_TABLES, select: string): string {
  return `
CREATE TABLE ${t}_clustered (${KEYED_TABLES[t].columns});
INSERT INTO ${t}_clustered ${select} ORDER BY key, run_id;
DROP TABLE ${t};
ALTER TABLE ${t}_clustered RENAME TO ${t};
ALTER TABLE ${t} ADD PRIMARY KEY (${KEYED_TABLES[t].primaryKey});`
}

export const SCHEMA_SQL = `
CREATE TABLE experiments (
  experiment_id VARCHAR PRIMARY KEY, name VARCHAR, artifact_location VARCHAR,
  lifecycle_stage VARCHAR, creation_time BIGINT, last_update_time BIGINT);
CREATE TABLE runs (
  run_id VARCHAR PRIMARY KEY, experiment_id VARCHAR, name VARCHAR, status VARCHAR,
  start_time BIGINT, end_time BIGINT, lifecycle_stage VARCHAR, user_id VARCHAR, artifact_uri VARCHAR);
CREATE TABLE params ${KEYED_COLUMNS.params};
CREATE TABLE tags ${KEYED_COLUMNS.tags};
CREATE TABLE series (series_id INTEGER PRIMARY KEY, run_id VARCHAR, key VARCHAR);
CREATE TABLE points (series_id INTEGER, step DOUBLE, timestamp DOUBLE, value DOUBLE, seq INTEGER);
CREATE TABLE experiment_tags (experiment_id VARCHAR, key VARCHAR, value VARCHAR);
CREATE TABLE run_inputs (run_id VARCHAR, name VARCHAR, digest VARCHAR, source_type VARCHAR, context VARCHAR);
CREATE TABLE latest_metrics ${KEYED_COLUMNS.latest_metrics};
CREATE TABLE latest_metrics_stage AS SELECT * FROM latest_metrics LIMIT 0;
CREATE TABLE run_cadence (run_id VARCHAR PRIMARY KEY, points DOUBLE, median_gap DOUBLE);
CREATE TABLE point_blocks (
  series_id INTEGER, size INTEGER, block INTEGER, first_x DOUBLE, first_v DOUBLE, last_x DOUBLE, last_v DOUBLE,
  min_x DOUBLE, min_v DOUBLE, max_x DOUBLE, max_v DOUBLE, n INTEGER, PRIMARY KEY (series_id, size, block));
CREATE TABLE point_blocks_stage AS SELECT * FROM point_blocks LIMIT 0;
CREATE TABLE experiments_stage AS SELECT * FROM experiments LIMIT 0;
CREATE TABLE runs_stage AS SELECT * FROM runs LIMIT 0;
CREATE TABLE params_stage AS SELECT * FROM params LIMIT 0;
CREATE TABLE tags_stage AS SELECT * FROM tags LIMIT 0;
`

export const UPSERTED_TABLES = ['experiments', 'runs', 'params', 'tags'] as const

/**
 * Rewrites the keyed tables with each key's rows together, once the initial
 * scan is in. The scan writes them run by run, so every row group holds every
 * key and a filter on one key reads all rows; clustered, a scan skips the
 * row groups whose min/max key exclude it (a 3-clause search over 10,000 runs:
 * 15 → 9 ms). Rows added later go at the end, unclustered, and are few.
 * A new table, not DELETE + INSERT: deleted rows would stay in memory and be
 * scanned, and the primary key's index would be updated row by row (seconds).
 */
export const CLUSTER_BY_KEY_SQL = (Object.keys(KEYED_TABLES) as (keyof typeof KEYED_TABLES)[])
  .map((t) => rebuildClustered(t, `SELECT * FROM ${t}`))
  .join('')

/** Tables whose rows the initial scan leaves in their `_stage` twin until it ends (see RunIndex.finishScan). */
export const DEFERRED_TABLES = ['runs', 'params', 'tags', 'latest_metrics'] as const

/**
 * `runs` is read by run_id only, so it is not clustered: its stage goes in
 * with one INSERT OR REPLACE (a later stage row of a run replaces an earlier
 * one: rowid is append order). Once per scan instead of once per scan batch
 * (about 1 s of DuckDB CPU over 10,000 runs).
 */
const MERGE_DEFERRED_RUNS_SQL = `
INSERT OR REPLACE INTO runs SELECT * EXCLUDE (r) FROM (SELECT *, rowid AS r FROM runs_stage)
  QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY r DESC) = 1;
DELETE FROM runs_stage;`

/**
 * Ends the initial scan's deferral: runs as MERGE_DEFERRED_RUNS_SQL says;
 * each other deferred table is rebuilt once, from its rows and its stage's
 * (a stage row replaces a table row of the same key, a later stage row an
 * earlier one: rowid is append order), clustered by key as
 * CLUSTER_BY_KEY_SQL does. One sort and one primary-key build per table
 * instead of an INSERT OR REPLACE and an index merge per scan batch.
 */
export const MERGE_DEFERRED_SQL = MERGE_DEFERRED_RUNS_SQL + DEFERRED_TABLES.filter((t) => t !== 'runs').map(
  (t) => `${rebuildClustered(t, `
  SELECT * EXCLUDE (src, r) FROM (
    SELECT *, 0 AS src, rowid AS r FROM ${t}
    UNION ALL SELECT *, 1 AS src, rowid AS r FROM ${t}_stage)
  QUALIFY row_number() OVER (PARTITION BY ${KEYED_TABLES[t].primaryKey} ORDER BY src DESC, r DESC) = 1`)}
DELETE FROM ${t}_stage;`,
).join('')
