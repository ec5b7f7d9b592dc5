// Opens the dashboard's login link, then each page a person checks, and saves a PNG of each.
// Usage: node screenshots.mjs <login-url> <output-folder>
import puppeteer from 'puppeteer-core';
import { mkdir } from 'node:fs/promises';

const [loginUrl, output = 'screenshots'] = process.argv.slice(2);
if (!loginUrl) {
  console.error('usage: node screenshots.mjs http://localhost:15080/login?t=TOKEN [output-folder]');
  process.exit(2);
}

const base = new URL(loginUrl).origin;
const pages = [
  ['resources', '/'],
  ['traces', '/traces'],
  ['structured-logs', '/structuredlogs'],
  ['metrics-authapi', '/metrics/resource/authapi?meter=SmarterFirms.Database&instrument=postgresql.db_size'],
  ['metrics-table-size', '/metrics/resource/authapi?meter=SmarterFirms.Database&instrument=postgresql.table.size'],
  ['console-migrations', '/consolelogs/resource/migrations'],
];

await mkdir(output, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--window-size=1600,1000'],
  defaultViewport: { width: 1600, height: 1000 },
});
try {
  const page = await browser.newPage();
  await page.goto(loginUrl, { waitUntil: 'networkidle2' });
  for (const [name, path] of pages) {
    await page.goto(base + path, { waitUntil: 'networkidle2' });
    // The dashboard renders over a Blazor circuit (websocket): give it time to draw.
    await new Promise(resolve => setTimeout(resolve, 5000));
    await page.screenshot({ path: `${output}/${name}.png` });
    console.log(`${output}/${name}.png`);
  }
} finally {
  await browser.close();
}
