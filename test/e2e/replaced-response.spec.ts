import { Controller, Get, Header, Logger, Res, StreamableFile } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { jest } from '@jest/globals';
import { Session, SessionManager } from '../../src/index.js';
import { switchableCache } from '../support/stores/switchable-cache.js';
import { ADAPTERS, createTestApp, setCookieFor, type TestApp } from '../support/apps/test-app.js';

const SEG = 'App\\Replaced';

/** Express's response as @Res() gives it (@types/express is not installed). */
type Response = ServerResponse & {
  download(path: string, name: string): void;
  sendFile(path: string): void;
};

const dir = mkdtempSync(join(tmpdir(), 'replaced-response-'));
const FILE = join(dir, 'report.txt');
writeFileSync(FILE, 'line of the report\n'.repeat(100));

// The last Express handler that awaits a callback of its own response, to see it go on.
let handlerDone: Promise<void> = Promise.resolve();

@Controller('rep')
class ReplacedController {
  @Get('described')
  @Header('Content-Disposition', 'attachment; filename="report.txt"')
  @Header('Content-Range', 'bytes 0-5/100')
  @Header('Accept-Ranges', 'bytes')
  @Header('Last-Modified', 'Wed, 01 Jan 2025 00:00:00 GMT')
  @Header('Content-Encoding', 'identity')
  @Header('Content-Language', 'fr')
  @Header('Content-Location', '/rep/report.txt')
  @Header('ETag', '"v1"')
  @Header('Vary', 'Accept-Language')
  @Header('Set-Cookie', 'theme=dark; Path=/')
  @Header('Cache-Control', 'private, max-age=60')
  async described(@Session() session: SessionManager) {
    await session.newSegment(SEG).set('step', 'described');
    return 'report';
  }

  @Get('streamable')
  async streamable(@Session() session: SessionManager) {
    await session.newSegment(SEG).set('step', 'streamable');
    return new StreamableFile(Readable.from(['bytes']), {
      disposition: 'attachment; filename="a.bin"',
      type: 'application/octet-stream',
    });
  }

  @Get('download')
  async download(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'download');
    res.download(FILE, 'report.txt');
  }

  @Get('send-file')
  async sendFile(@Session() session: SessionManager, @Res() res: Response) {
    await session.newSegment(SEG).set('step', 'send file');
    res.sendFile(FILE);
  }

  @Get('end-callback')
  endCallback(@Session() session: SessionManager, @Res() res: Response) {
    handlerDone = (async () => {
      await session.newSegment(SEG).set('step', 'end callback');
      res.setHeader('content-type', 'text/plain');
      await new Promise<void>((resolve) => res.end('done', () => resolve()));
    })();
  }

  // The first write is held behind the failing commit; the end() comes once the error is sent.
  @Get('write-callbacks')
  writeCallbacks(@Session() session: SessionManager, @Res() res: Response) {
    handlerDone = (async () => {
      await session.newSegment(SEG).set('step', 'write callbacks');
      res.setHeader('content-type', 'text/plain');
      await new Promise<void>((resolve) => res.write('first ', 'utf8', () => resolve()));
      await new Promise<void>((resolve) => res.end(() => resolve()));
    })();
  }

  // Node refuses the second writeHead() once the held calls are replayed after the commit.
  @Get('refused-write-head')
  refusedWriteHead(@Session() session: SessionManager, @Res() res: Response) {
    handlerDone = (async () => {
      await session.newSegment(SEG).set('step', 'refused write head');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.writeHead(201);
      await new Promise<void>((resolve) => res.end('once', () => resolve()));
    })();
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE_HEADERS = [
  'content-disposition',
  'content-range',
  'accept-ranges',
  'last-modified',
  'content-encoding',
  'content-language',
  'content-location',
  'etag',
];

/** The file headers of the handler's body a response still carries. */
function fileHeadersOf(res: { headers: Record<string, unknown> }): string[] {
  return FILE_HEADERS.filter((name) => res.headers[name] !== undefined);
}

describe.each(ADAPTERS)('the error sent for a failed commit (%s)', (adapter) => {
  const { cache, state } = switchableCache();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(adapter, { store: cache }, [ReplacedController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    state.writesDown = true;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    state.writesDown = false;
    jest.restoreAllMocks();
  });

  it('drops the headers that described the handler’s body, and keeps cookies and caching', async () => {
    const res = await t.http().get('/rep/described').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(fileHeadersOf(res)).toEqual([]);
    expect(setCookieFor(res, 'theme')).toMatch(/^theme=dark/);
    expect(res.headers.vary).toMatch(/Accept-Language/);
    expect(res.headers['cache-control']).toBe('private, max-age=60');
  });

  it('a StreamableFile download: the error is not offered as the file', async () => {
    const res = await t.http().get('/rep/streamable').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(fileHeadersOf(res)).toEqual([]);
  });
});

describe('the error sent for a failed commit, Express senders', () => {
  const { cache, state } = switchableCache();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('express', { store: cache }, [ReplacedController]);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    state.writesDown = true;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    state.writesDown = false;
    jest.restoreAllMocks();
  });

  it('res.download(): the error is not offered as the file', async () => {
    const res = await t.http().get('/rep/download').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(fileHeadersOf(res)).toEqual([]);
  });

  it('res.sendFile() answering a Range request: the error is not a part of the file', async () => {
    const res = await t.http().get('/rep/send-file').set('Range', 'bytes=0-9').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    expect(fileHeadersOf(res)).toEqual([]);
  });

  it('runs the callback of a held end(), so a handler awaiting it goes on', async () => {
    const res = await t.http().get('/rep/end-callback').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    await handlerDone;
  });

  it('runs the callbacks of a held write() and of an end() made after the error went out', async () => {
    const res = await t.http().get('/rep/write-callbacks').expect(503);
    expect(res.body.reason).toBe('session_store_unavailable');
    await handlerDone;
  });

  it('runs the callback of an end() dropped after a held call Node refused', async () => {
    state.writesDown = false;
    await t.http().get('/rep/refused-write-head').expect(200);
    await handlerDone;
  });
});
