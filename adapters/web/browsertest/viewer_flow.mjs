// The clinician's journey through the share-code viewer, in a real headless
// Chromium with JavaScript switched off (the viewer must work without it).
// Run by adapters/web's Go test, which starts Kith and passes:
//   BASE      Kith's base URL
//   CODE      a share code of Amelia's (allergies, medications, conditions, results, immunizations),
//             issued after the test added a peanut allergy of high criticality
//             (anaphylaxis, severe), a resolved latex allergy and enough results
//             for the results section to need a second page
//   CHROMIUM  the Chromium executable
// Midway it prints "EXPIRE" and waits for a line on stdin: the Go test then ends
// the session's time, as fifteen minutes passing would.
import { chromium } from 'playwright-core';
import readline from 'node:readline';
import { createRequire } from 'node:module';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

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
  check(sections[0].startsWith('Allergies') && sections[1].startsWith('Medications'), 'allergies lead, medications follow: ' + sections.join(' | '));

  // Allergies: criticality and reactions in plain sight, nothing to open.
  const allergies = page.locator('section.allergies');
  const peanut = allergies.getByRole('listitem').filter({ hasText: 'Peanut' });
  check(await peanut.locator('strong.critical', { hasText: 'High criticality' }).isVisible(), 'a high-criticality allergy says so, emphasised');
  check(await peanut.getByText('Anaphylaxis (severe)').isVisible(), 'its reaction and severity are visible on the summary');
  check((await allergies.getByRole('listitem').first().textContent()).includes('Peanut'), 'the high-criticality allergy comes first');
  check((await allergies.evaluate((el) => getComputedStyle(el).borderTopWidth)) !== '0px', 'the allergies stand out in a bordered box');

  // Shared and empty is not the same as not shared.
  const observations = page.getByRole('region', { name: /^Other observations/ });
  check((await observations.textContent()).includes('None recorded.'), 'a shared section with nothing in it says "None recorded."');
  const notShared = await page.getByRole('region', { name: 'Not shared by the patient' }).getByRole('listitem').allTextContents();
  check(notShared.includes('Vital signs') && notShared.includes('Encounters'), 'sections outside the code are listed as not shared: ' + notShared.join(', '));
  check(!sections.some((s) => s.startsWith('Vital signs') || s.startsWith('Encounters')), 'a section not shared has no section of its own');

  // Inactive items only behind their own link.
  check(!(await page.getByText('Latex').count()), 'the resolved allergy is not mixed with the active ones');
  await allergies.getByRole('link', { name: 'Show 1 inactive' }).click();
  await page.waitForURL('**/view/record/allergies?state=past');
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === 'Inactive allergies (1)', 'the inactive allergies page has its count');
  check((await page.locator('table.entries tbody tr').filter({ hasText: 'Latex' }).count()) === 1, 'the resolved allergy is listed there');
  await page.goto(BASE + '/view/record');

  // A section pages past its first page, the true count in every heading.
  const showAll = page.getByRole('link', { name: /^Show all [\d,]+ results$/ });
  const total = Number((await showAll.textContent()).match(/[\d,]+/)[0].replaceAll(',', ''));
  check(total > 50, 'the summary offers every one of the ' + total + ' results');
  check((await page.getByRole('region', { name: /^Results/ }).locator('tbody tr').count()) === 10, 'the summary lists only the newest ten results');
  await showAll.click();
  await page.waitForURL('**/view/record/results');
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === `Results (${total.toLocaleString('en-GB')})`, 'the results page heading has the true count');
  check((await page.locator('table.entries tbody tr').count()) === 50, 'a page lists 50 results');
  check(await page.getByText('151 mmol/L').isVisible() && await page.locator('strong.abnormal', { hasText: 'High' }).first().isVisible(), 'a high result is marked in words');
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL('**/view/record/results?**');
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === `Results (${total.toLocaleString('en-GB')}) — page 2`, 'page 2 keeps the true count');
  check((await page.locator('table.entries tbody tr').count()) === total - 50, 'page 2 lists the rest');
  check(!(await page.getByRole('link', { name: 'Next page' }).count()), 'the last page offers no next page');

  // Accessibility: axe finds nothing on the pages a clinician reads. It needs
  // scripts, so it runs in a second context of its own with the session's cookie;
  // the clinician's context keeps JavaScript off and the CSP in force.
  const audit = await browser.newContext({ bypassCSP: true });
  await audit.addCookies(await context.cookies());
  const auditPage = await audit.newPage();
  for (const path of ['/view', '/view/record', '/view/record/results', '/view/record/allergies?state=past', '/view/record/encounters']) {
    await auditPage.goto(BASE + path);
    await auditPage.addScriptTag({ path: axeSource });
    const found = await auditPage.evaluate(async () => (await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })).violations
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
    check(found.length === 0, 'axe finds no accessibility problem on ' + path + (found.length ? ': ' + found.join('; ') : ''));
  }
  await audit.close();

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
