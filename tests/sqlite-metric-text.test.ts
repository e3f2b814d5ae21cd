import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { readMetricRows } from '../ingest-watch/sqlite-store/metric-reads.ts'
import { parseKeyValueText } from '../ingest-watch/sqlite-store/key-value-text.ts'
import { parseMetricText } from '../ingest-watch/sqlite-store/metric-text.ts'
import { toMetricBatches, type MetricRow } from '../ingest-watch/sqlite-store/rows.ts'
import { copyFixtureSqliteStore, tempDir } from './helpers/fixtures.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

const US = '\u001f'
const RS = '\u001e'
const text = (lines: string[]) => new TextEncoder().encode(lines.join(RS))

describe('parseMetricText', () => {
  it('groups lines per run and key in order of first appearance, keeping each series in line order', () => {
    const batches = parseMetricText(text([
      `r1${US}loss${US}100 0.5 0`,
      `r1${US}val loss${US}101 nan 0`,
      `r1${US}loss${US}102 0.25 1`,
      `r2${US}loss${US}103 1.0e+23 -3`,
      `r1${US}ünï/😀${US}104 -1.7976931348623157e+308 7`,
      `r1${US}loss${US}105 1.7976931348623157e+308 2`,
    ]), 6)!
    expect(batches.map((b) => [b.runId, b.key, [...b.timestamp], [...b.value], [...b.step]])).toEqual([
      ['r1', 'loss', [100, 102, 105], [0.5, 0.25, Infinity], [0, 1, 2]],
      ['r1', 'val loss', [101], [NaN], [0]],
      ['r2', 'loss', [103], [1e23], [-3]],
      ['r1', 'ünï/😀', [104], [-Infinity], [7]],
    ])
  })

  it('gives up, so that the rows are read one by one, on text that is not exactly the rows asked for', () => {
    const good = `r1${US}loss${US}100 0.5 0`
    expect(parseMetricText(text([good, good]), 2)).toHaveLength(1)
    // A row with a NULL field makes no line.
    expect(parseMetricText(text([good]), 2)).toBeUndefined()
    expect(parseMetricText(text([good, good, good]), 2)).toBeUndefined()
    // Keys holding the separators.
    expect(parseMetricText(text([`r1${US}a${US}b${US}100 0.5 0`]), 1)).toBeUndefined()
    expect(parseMetricText(text([`r1${US}a`, `b${US}100 0.5 0`]), 1)).toBeUndefined()
    // A value or step that is not a number, a missing field.
    expect(parseMetricText(text([`r1${US}loss${US}100 abc 0`]), 1)).toBeUndefined()
    expect(parseMetricText(text([`r1${US}loss${US}100 0.5 1.5`]), 1)).toBeUndefined()
    expect(parseMetricText(text([`r1${US}loss${US}100 0.5`]), 1)).toBeUndefined()
    expect(parseMetricText(new Uint8Array(0), 0)).toEqual([])
  })
})

describe('reading metric rows as text from a real mlflow.db', () => {
  function scratch() {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const path = copyFixtureSqliteStore('mlflow-3.6', dir.path)
    const db = new Database(path)
    cleanups.push(() => db.close())
    return db
  }

  it('reads every double exactly as the row-by-row read does, whatever its magnitude', () => {
    const db = scratch()
    const run = db.prepare('SELECT run_uuid FROM runs LIMIT 1').pluck().get() as string
    const insert = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)')
    const bits = new Uint32Array(2)
    const asDouble = new Float64Array(bits.buffer)
    const keys = ['random bits', 'uniform', 'float32', 'ünï/😀 key']
    db.transaction(() => {
      for (let i = 0; i < 40_000; i++) {
        const key = keys[i % keys.length]!
        let v: number
        if (key === 'random bits') {
          do {
            bits[0] = Math.random() * 2 ** 32
            bits[1] = Math.random() * 2 ** 32
            v = asDouble[0]!
          } while (!Number.isFinite(v))
        } else if (key === 'uniform') v = Math.random()
        else if (key === 'float32') v = Math.fround((Math.random() - 0.5) * 10 ** ((i % 40) - 20))
        else v = [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 9007199254740993, 0.1][i % 6]!
        insert.run(key, v, 1_790_000_000_000 + i, run, i - 20_000, i % 97 === 0 ? 1 : 0)
      }
    })()
    const before = db.prepare('SELECT max(rowid) FROM metrics').pluck().get() as number - 40_000
    const rows = db.prepare('SELECT rowid, run_uuid, key, timestamp, value, step, is_nan FROM metrics WHERE rowid > ? ORDER BY rowid').raw().all(before) as MetricRow[]
    const read = readMetricRows(db, before)
    expect(read.rows).toBe(40_000)
    expect(read.lastRowid).toBe(before + 40_000)
    const expected = toMetricBatches(rows)
    expect(read.batches.map((b) => b.key)).toEqual(keys)
    expect(read.batches).toEqual(expected)
    // toEqual counts NaN equal to NaN: the NaN flags must land on the same points.
    const nanAt = (bs: typeof expected) => bs.flatMap((b) => [...b.value].flatMap((v, i) => (Number.isNaN(v) ? [`${b.key}:${i}`] : [])))
    expect(nanAt(read.batches)).toEqual(nanAt(expected))
    expect(nanAt(expected).length).toBeGreaterThan(400)
  })

  it('reads rows the text cannot carry one by one, and honours the range and the limit', () => {
    const db = scratch()
    const run = db.prepare('SELECT run_uuid FROM runs LIMIT 1').pluck().get() as string
    const start = db.prepare('SELECT max(rowid) FROM metrics').pluck().get() as number
    const insert = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)')
    insert.run('plain', 1.5, 10, run, 1)
    insert.run(`odd${US}key${RS}`, 2.5, 11, run, 2)
    insert.run('plain', 3.5, 12, run, 3)
    const all = readMetricRows(db, start)
    expect(all.batches.map((b) => [b.key, [...b.value]])).toEqual([['plain', [1.5, 3.5]], [`odd${US}key${RS}`, [2.5]]])
    expect(readMetricRows(db, start, start + 1).batches.map((b) => [b.key, [...b.value]])).toEqual([['plain', [1.5]]])
    const limited = readMetricRows(db, start, undefined, 2)
    expect([limited.rows, limited.lastRowid]).toEqual([2, start + 2])
    expect(readMetricRows(db, start + 3)).toEqual({ batches: [], rows: 0, lastRowid: start + 3 })
  })
})

describe('parseKeyValueText', () => {
  it('splits params or tags lines, values with spaces, newlines and any Unicode kept whole', () => {
    const rows = parseKeyValueText(text([`r1${US}lr${US}0.1`, `r1${US}note${US}two\nlines, ünï 😀`, `r2${US}empty${US}`, `r1${US}lr2${US}x y`]), 4)
    expect(rows).toEqual({ runIds: ['r1', 'r1', 'r2', 'r1'], keys: ['lr', 'note', 'empty', 'lr2'], values: ['0.1', 'two\nlines, ünï 😀', '', 'x y'] })
    expect(parseKeyValueText(null, 0)).toEqual({ runIds: [], keys: [], values: [] })
  })

  it('gives up on text that is not exactly the rows asked for', () => {
    expect(parseKeyValueText(text([`r1${US}lr${US}0.1`]), 2)).toBeUndefined()
    expect(parseKeyValueText(text([`r1${US}lr${US}0.1`, `r1${US}b${US}2`]), 1)).toBeUndefined()
    // A separator inside a value: a third unit separator, or a record separator that makes one line two.
    expect(parseKeyValueText(text([`r1${US}lr${US}a${US}b`]), 1)).toBeUndefined()
    expect(parseKeyValueText(text([`r1${US}lr${US}a${RS}b`]), 1)).toBeUndefined()
    expect(parseKeyValueText(text([`r1${US}lr`]), 1)).toBeUndefined()
    expect(parseKeyValueText(null, 1)).toBeUndefined()
  })
})
