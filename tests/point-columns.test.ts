import { DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { appendPointColumns } from '../server/index/point-columns.ts'

describe('appendPointColumns', () => {
  it('stores every value as given, across several data chunks: NaN and ±Inf as numbers, no NULLs', async () => {
    const instance = await DuckDBInstance.create(':memory:')
    const c = await instance.connect()
    await c.run('CREATE TABLE points (series_id INTEGER, step DOUBLE, timestamp DOUBLE, value DOUBLE, seq INTEGER)')
    const n = 5000
    const columns = {
      seriesId: Int32Array.from({ length: n }, (_, i) => i % 7),
      step: Float64Array.from({ length: n }, (_, i) => i - 3),
      timestamp: Float64Array.from({ length: n }, (_, i) => 1.7e12 + i),
      value: Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : i % 11 === 0 ? -Infinity : i % 13 === 0 ? Infinity : i / 3)),
      seq: Int32Array.from({ length: n }, (_, i) => i),
    }
    const a = await c.createAppender('points')
    appendPointColumns(a, columns)
    a.closeSync()
    const stored = (await c.runAndReadAll('SELECT series_id, step, timestamp, value, seq FROM points ORDER BY rowid')).getColumnsJS() as number[][]
    expect(stored.map((column) => column.map((v) => (Number.isNaN(v) ? 'NaN' : v)))).toEqual(
      [columns.seriesId, columns.step, columns.timestamp, columns.value, columns.seq].map((column) => Array.from(column, (v) => (Number.isNaN(v) ? 'NaN' : v))),
    )
    c.closeSync()
    instance.closeSync()
  })
})
