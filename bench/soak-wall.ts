// The wall view left running: headless Chromium on /wall against the demo
// simulator at 20 runs × 50 points/s, sampling the page's JS heap and DOM node
// count every minute, and counting reconnects. `npm run bench -- soak`
// (SOAK_MINUTES=60 by default; growth is measured after the first 5 minutes).
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { DemoSimulator } from '../demo/simulator.ts'
import { tempDir } from '../tests/helpers/fixtures.ts'
import { CHROMIUM } from '../tests/helpers/browser.ts'
import { spawnRunwatch, stopRunwatch } from './runwatch-process.ts'

export interface SoakSample {
  minute: number
  heapMb: number
  domNodes: number
  tiles: number
}

export async function benchWallSoak(minutes = Number(process.env.SOAK_MINUTES ?? 60), log: (line: string) => void = console.error) {
  const dir = tempDir('runwatch-soak-')
  const root = join(dir.path, 'mlruns')
  const demo = new DemoSimulator({ root, concurrentRuns: 20, pointsPerSecond: 50 })
  demo.start()
  const { url, child } = await spawnRunwatch(root)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--enable-precise-memory-info'] })
  const samples: SoakSample[] = []
  let reconnects = 0
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
    page.on('websocket', () => reconnects++)
    await page.goto(`${url}/wall`)
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    for (let minute = 1; minute <= minutes; minute++) {
      await page.waitForTimeout(60_000)
      // A collection first: the heap that stays, not the garbage of the last second.
      await cdp.send('HeapProfiler.collectGarbage')
      const metrics = ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics
      const value = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
      const tiles = await page.locator('[data-testid=wall-tile]').count()
      const sample = { minute, heapMb: value('JSHeapUsedSize') / 1e6, domNodes: value('Nodes'), tiles }
      samples.push(sample)
      log(`  soak minute ${minute}: heap ${sample.heapMb.toFixed(1)} MB, ${sample.domNodes} DOM nodes, ${tiles} tiles, ${reconnects - 1} reconnects`)
    }
  } finally {
    await browser.close()
    await stopRunwatch(child)
    demo.stop()
    dir.remove()
  }
  // Heap samples swing with V8's collector: compare medians, the settled minutes 5–14 against the last ten.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  const settled = samples.filter((s) => s.minute >= 5)
  const [early, late] = settled.length >= 20 ? [settled.slice(0, 10), samples.slice(-10)] : [samples.slice(0, Math.ceil(samples.length / 2)), samples.slice(Math.ceil(samples.length / 2))]
  const growth = (pick: (s: SoakSample) => number) => (median(late.map(pick)) / median(early.map(pick)) - 1) * 100
  return { samples, heapGrowthPct: growth((s) => s.heapMb), domGrowthPct: growth((s) => s.domNodes), maxHeapMb: Math.max(...samples.map((s) => s.heapMb)), reconnects: Math.max(0, reconnects - 1) }
}
