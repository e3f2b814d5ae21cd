import { chromium } from 'playwright-core'
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-background-networking','--no-first-run','--disable-component-update'] })
const p = await b.newPage({ viewport: { width: 1400, height: 900 } })
const errors = []
p.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })
p.on('pageerror', e => errors.push(String(e)))
await p.goto(process.argv[2])
await p.waitForTimeout(Number(process.argv[4] ?? 4000))
await p.screenshot({ path: process.argv[3] })
console.log('points', await p.getAttribute('[data-testid=live-chart]', 'data-points'), 'rows', await p.locator('tbody tr').count())
console.log('errors', errors)
await b.close()
