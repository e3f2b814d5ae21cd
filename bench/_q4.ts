import { benchSearch } from './query.ts'
const r = await benchSearch({ runs: Number(process.argv[2] ?? 1000), metrics: 20, points: 100, params: 30, tags: 10 })
console.log('filtered', r.filtered.p50, r.filtered.p99, r.filteredCount, 'all', r.all.p50, r.all.p99, r.allCount)
process.exit(0)
