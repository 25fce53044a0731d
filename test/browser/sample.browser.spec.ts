import { existsSync, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { createSampleApp, type SampleAdapter } from '../../sample/create-app.js';
import { startForgingSite, type ForgingSite } from './forging-site.js';

const CHROMIUM = '/usr/bin/chromium';
const HOW_TO_INSTALL = 'apt-get install -y chromium';
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  if (process.env.CI === 'true') {
    test('chromium is installed for the browser test', () => {
      throw new Error(`chromium not found at ${CHROMIUM}: CI must install it (${HOW_TO_INSTALL})`);
    });
  } else {
    console.warn(`SKIPPED: chromium not found at ${CHROMIUM} (${HOW_TO_INSTALL})`);
  }
}

const describeInBrowser = hasChromium ? describe : describe.skip;

/** Clicks something that submits a form and waits until the page it leads to has loaded. */
async function submit(page: Page, button: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

describeInBrowser('sample app in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  describe.each<SampleAdapter>(['express', 'fastify'])('on %s', (adapter) => {
    let app: INestApplication;
    let sampleUrl: string;
    let forgingSite: ForgingSite;
    let context: BrowserContext;
    let page: Page;

    const url = (path: string): string => new URL(path, sampleUrl).href;

    async function sid(): Promise<string | undefined> {
      const cookies = await context.cookies(sampleUrl);
      return cookies.find((cookie) => cookie.name === 'sid')?.value;
    }

    /** On failure, leaves a screenshot of what the browser showed and prints where it is. */
    async function step(name: string, run: () => Promise<void>): Promise<void> {
      try {
        await run();
      } catch (error) {
        const file = join(mkdtempSync(join(tmpdir(), 'sample-browser-')), `${adapter}.png`);
        try {
          await page.screenshot({ path: file, fullPage: true });
          console.error(`[${adapter}] step "${name}" failed; screenshot: ${file}`);
        } catch (screenshotError) {
          console.error(`[${adapter}] step "${name}" failed; no screenshot: ${screenshotError}`);
        }
        throw error;
      }
    }

    beforeAll(async () => {
      app = await createSampleApp({ adapter, logger: ['error', 'warn'] });
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      sampleUrl = `http://127.0.0.1:${port}/`;
      forgingSite = await startForgingSite(url('/notes'));
    });

    afterAll(async () => {
      await forgingSite?.close();
      await app?.close();
    });

    beforeEach(async () => {
      context = await browser.newContext();
      page = await context.newPage();
    });

    afterEach(async () => {
      await context.close();
    });

    it('signs in, keeps notes with CSRF-checked forms and JSON, refuses another origin, signs out', async () => {
      const user = 'Ada & <b>Lovelace</b>';
      const note = 'Buy <milk> & "eggs"';
      const liveNote = 'Call <Charles>';
      let sidAfterLogin: string | undefined;

      await step('an anonymous visit starts no session', async () => {
        await page.goto(sampleUrl);
        expect(await page.getByRole('heading', { name: 'Welcome' }).count()).toBe(1);
        expect(await sid()).toBeUndefined();
      });

      await step('log in, and the session id changes', async () => {
        await submit(page, page.getByRole('link', { name: 'Sign in' }));
        const sidBeforeLogin = await sid();
        expect(sidBeforeLogin).toBeDefined();
        await page.getByLabel('Name').fill(user);
        await submit(page, page.getByRole('button', { name: 'Sign in' }));
        expect(page.url()).toBe(url('/'));
        expect(await page.locator('#user').textContent()).toBe(user);
        sidAfterLogin = await sid();
        expect(sidAfterLogin).toBeDefined();
        expect(sidAfterLogin).not.toBe(sidBeforeLogin);
      });

      await step('add a note and see the flash message once', async () => {
        await page.getByLabel('Note').fill(note);
        await submit(page, page.getByRole('button', { name: 'Add note' }));
        expect(page.url()).toBe(url('/'));
        expect(await page.locator('.flash').allTextContents()).toEqual(['Note added']);
        expect(await page.locator('#notes li').allTextContents()).toEqual([note]);
      });

      await step(
        "a second tab of the session shows a note added in the first, live; another user's does not",
        async () => {
          const other = await context.newPage();
          await other.goto(sampleUrl);
          await other.getByText('Live updates: on').waitFor();
          expect(await other.locator('#notes li').allTextContents()).toEqual([note]);
          const stranger = await browser.newContext();
          try {
            const strangerPage = await stranger.newPage();
            await strangerPage.goto(url('/login'));
            await strangerPage.getByLabel('Name').fill('Grace');
            await submit(strangerPage, strangerPage.getByRole('button', { name: 'Sign in' }));
            await strangerPage.getByText('Live updates: on').waitFor();
            await page.getByLabel('Note').fill(liveNote);
            await submit(page, page.getByRole('button', { name: 'Add note' }));
            await other.locator('#notes li', { hasText: liveNote }).waitFor();
            expect(await other.locator('#notes li').allTextContents()).toEqual([note, liveNote]);
            // The same push reached every socket it was meant for; the other user's list is untouched.
            expect(await strangerPage.locator('#notes li').count()).toBe(0);
          } finally {
            await stranger.close();
            await other.close();
          }
        },
      );

      await step('a page of another origin cannot open a socket in the session', async () => {
        const foreign = await context.newPage();
        await foreign.goto(forgingSite.socketUrl);
        await foreign.waitForFunction("document.title !== 'connecting'");
        expect(await foreign.title()).toBe('signed out');
        await foreign.close();
      });

      await step('reload, and the flash message is gone', async () => {
        await page.reload();
        expect(await page.locator('.flash').count()).toBe(0);
        expect(await page.locator('#notes li').allTextContents()).toEqual([note, liveNote]);
      });

      await step('the JSON call with the x-csrf-token header succeeds', async () => {
        const [response] = await Promise.all([
          page.waitForResponse(url('/api/notes/count')),
          page.getByRole('button', { name: 'Count my notes' }).click(),
        ]);
        expect(response.request().headers()['x-csrf-token']).toMatch(/\S/);
        expect(response.status()).toBe(200);
        expect(await response.json()).toEqual({ count: 2 });
        await page.getByText('The API counts 2 notes.').waitFor();
      });

      await step('a form posted from another origin is rejected with 403', async () => {
        const forged = page.waitForResponse(
          (response) => response.url() === url('/notes') && response.request().method() === 'POST',
        );
        await page.goto(forgingSite.url);
        const response = await forged;
        expect((await response.request().allHeaders())['cookie']).toContain(`sid=${sidAfterLogin}`);
        expect(response.status()).toBe(403);
        expect(await response.json()).toMatchObject({ statusCode: 403, reason: 'csrf_cross_site' });
        await page.goto(sampleUrl);
        expect(await page.locator('#notes li').allTextContents()).toEqual([note, liveNote]);
      });

      await step('log out, and the session is gone', async () => {
        await submit(page, page.getByRole('button', { name: 'Log out' }));
        expect(page.url()).toBe(url('/'));
        expect(await page.getByRole('heading', { name: 'Welcome' }).count()).toBe(1);
        expect(await page.locator('#user').count()).toBe(0);
        expect(await sid()).toBeUndefined();
      });

      await step('the old session id no longer signs anyone in', async () => {
        await context.addCookies([{ name: 'sid', value: sidAfterLogin ?? '', url: sampleUrl }]);
        await page.goto(sampleUrl);
        expect(await page.locator('#user').count()).toBe(0);
      });
    }, 60_000);

    it('lists the devices signed in as the user; one signs out another, then every other', async () => {
      const user = `Grace ${adapter}`;
      const phoneAgent =
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
        '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
      const phone = await browser.newContext({ userAgent: phoneAgent });
      const tablet = await browser.newContext({
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
      });
      try {
        const phonePage = await phone.newPage();
        const tabletPage = await tablet.newPage();
        const signIn = async (on: Page) => {
          await on.goto(url('/login'));
          await on.getByLabel('Name').fill(user);
          await submit(on, on.getByRole('button', { name: 'Sign in' }));
          expect(await on.locator('#user').textContent()).toBe(user);
        };

        await step('sign in on a laptop, then on a phone', async () => {
          await signIn(page);
          await signIn(phonePage);
        });

        await step('the phone lists both devices, itself as this device', async () => {
          await submit(phonePage, phonePage.getByRole('link', { name: 'Your sessions' }));
          const rows = phonePage.locator('tr.session');
          expect(await rows.count()).toBe(2);
          const current = phonePage.locator('tr.session[data-current="true"]');
          expect(await current.locator('strong').textContent()).toBe('Safari on iOS');
          expect(await current.getByText('This device').count()).toBe(1);
          const laptop = phonePage.locator('tr.session[data-current="false"]');
          expect(await laptop.locator('strong').textContent()).toBe('Chrome on Linux');
          expect(await laptop.locator('time').first().textContent()).toBe('just now');
        });

        await step('the phone signs the laptop out', async () => {
          const laptop = phonePage.locator('tr.session[data-current="false"]');
          await submit(phonePage, laptop.getByRole('button', { name: 'Sign out' }));
          expect(phonePage.url()).toBe(url('/sessions'));
          expect(await phonePage.locator('.flash').allTextContents()).toEqual([
            'Signed out that device.',
          ]);
          expect(await phonePage.locator('tr.session').count()).toBe(1);
        });

        await step('the laptop is signed out at its next request, its cookie gone', async () => {
          expect(await sid()).toBeDefined();
          await page.goto(sampleUrl);
          expect(await page.getByRole('heading', { name: 'Welcome' }).count()).toBe(1);
          expect(await sid()).toBeUndefined();
        });

        await step(
          '"Sign out everywhere else" signs out a tablet and keeps the phone',
          async () => {
            await signIn(tabletPage);
            await phonePage.reload();
            expect(await phonePage.locator('tr.session').count()).toBe(2);
            await submit(
              phonePage,
              phonePage.getByRole('button', { name: 'Sign out everywhere else' }),
            );
            expect(await phonePage.locator('.flash').allTextContents()).toEqual([
              'Signed out 1 other device.',
            ]);
            expect(await phonePage.locator('tr.session').count()).toBe(1);
            await tabletPage.goto(sampleUrl);
            expect(await tabletPage.getByRole('heading', { name: 'Welcome' }).count()).toBe(1);
            await phonePage.goto(sampleUrl);
            expect(await phonePage.locator('#user').textContent()).toBe(user);
          },
        );
      } finally {
        await phone.close();
        await tablet.close();
      }
    }, 60_000);
  });
});
