// The clinician's journey through the share-code viewer, in a real headless
// Chromium with JavaScript switched off (the viewer must work without it).
// Run by adapters/web's Go test, which starts Kith and passes:
//   BASE      Kith's base URL
//   CODE      a share code of Amelia's (allergies, medications, conditions, results, immunizations)
//   CHROMIUM  the Chromium executable
// Midway it prints "EXPIRE" and waits for a line on stdin: the Go test then ends
// the session's time, as fifteen minutes passing would.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const { BASE, CODE, CHROMIUM } = process.env;
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

function check(ok, message) {
  if (!ok) {
    console.error('FAIL: ' + message);
    process.exit(1);
  }
  console.log('ok: ' + message);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  async function openWith(code) {
    await page.getByLabel('Share code').fill(code);
    await page.getByLabel('Your name').fill('Dr Sam Okafor');
    await page.getByLabel('Your role').fill('A&E registrar');
    await page.getByRole('button', { name: 'Open record' }).click();
  }

  // The form: labelled fields, strict headers.
  const first = await page.goto(BASE + '/view');
  const headers = first.headers();
  check(first.status() === 200, 'the code form loads');
  check(headers['cache-control'] === 'no-store', 'pages are never cached');
  check((headers['content-security-policy'] || '').includes("default-src 'none'"), 'a strict Content-Security-Policy is set');

  // A wrong code is refused with a clear message.
  await openWith('0000-0000-00');
  const refusal = await page.getByRole('alert').textContent();
  check(refusal.includes('not accepted'), 'a wrong code is refused: ' + refusal.trim().slice(0, 60));

  // The right code, typed in lower case without hyphens, opens the summary.
  await openWith(CODE.toLowerCase().replaceAll('-', ''));
  await page.waitForURL('**/view/record');
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === 'Amelia Hughes', 'the patient is named at the top');
  check((await page.locator('#nhs-number').textContent()).trim() === '999 000 0018', 'the NHS number is prominent');
  check((await page.locator('#date-of-birth').textContent()).trim() === '5 June 1987', 'the date of birth is prominent');
  const sections = await page.getByRole('heading', { level: 2 }).allTextContents();
  check(sections[0].startsWith('Allergies') && sections.some((s) => s.startsWith('Medications')), 'allergies lead, medications follow: ' + sections.join(' | '));
  check(!sections.some((s) => s.startsWith('Vital signs') || s.startsWith('Encounters')), 'what was not shared is not shown');

  // Expand a category.
  await page.getByRole('link', { name: /^Show all \d+ allergies$/ }).click();
  await page.waitForURL('**/view/record/allergies');
  check((await page.getByRole('heading', { level: 1 }).textContent()).startsWith('Allergies'), 'the allergies page opens');
  check((await page.locator('table.entries tbody tr').count()) > 0, 'every allergy is listed');

  // Printable: the page's controls are hidden on paper.
  await page.goto(BASE + '/view/record');
  await page.emulateMedia({ media: 'print' });
  check(!(await page.getByRole('button', { name: 'Finish' }).isVisible()), 'the Finish button does not print');
  await page.emulateMedia({ media: 'screen' });

  // Keyboard: the first Tab reaches the skip link.
  await page.keyboard.press('Tab');
  check((await page.locator('a.skip:focus').count()) === 1, 'the first Tab stop skips to the content');

  // Time passes: the session ends with a clear message.
  console.log('EXPIRE');
  await nextLine();
  await page.reload();
  check((await page.getByRole('heading', { level: 1 }).textContent()).includes('Your session has ended'), 'an expired session says so');

  // Finish ends a session at once.
  await page.goto(BASE + '/view');
  await openWith(CODE);
  await page.waitForURL('**/view/record');
  await page.getByRole('button', { name: 'Finish' }).click();
  check((await page.getByRole('heading', { level: 1 }).textContent()).includes('Finished'), 'Finish ends the session');
  await page.goto(BASE + '/view/record');
  check(page.url().endsWith('/view'), 'after Finish the record is gone: back to the code form');
} finally {
  await browser.close();
  lines.close();
}
