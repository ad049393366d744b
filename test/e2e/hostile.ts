/**
 * A hostile-input battery for a generated project's running server (`make serve`): what strangers
 * send a demo shared through a tunnel. JSON, numbers, images, audio, paths, methods, headers, raw
 * malformed HTTP, many and slow connections, a per-client burst, then schemathesis on /openapi.json.
 *
 * It asserts: no 5xx, every error a JSON `{"error": ...}`, no request hangs, /health answers within
 * a second throughout (also while 150 slow connections are open), and the server process's memory
 * grows by at most a few MB over a pass of the same requests once warm, and no file in the project
 * changed. Traffic goes only to 127.0.0.1
 * and is bounded: a few hundred requests, about a minute.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freshDir, run, tool } from './support.js';

export type Kind = 'timeseries' | 'scraper' | 'nlp' | 'cv' | 'speech';

/** One request of the battery and the statuses it may get (always < 500). */
interface Probe {
  name: string;
  method?: string;
  path: string;
  body?: Uint8Array | string | FormData;
  type?: string;
  headers?: Record<string, string>;
  expect?: number[];
}

/** What the battery saw, for the test's log. */
export interface HostileReport {
  requests: number;
  statuses: Record<string, number>;
  slowestHealthMs: number;
  rssGrowthKb: number;
}

const REQUEST_TIMEOUT_MS = 15_000;
const HEALTH_LIMIT_MS = 1_000;
const RSS_GROWTH_LIMIT_KB = 6 * 1024;
const SLOW_CONNECTIONS = 150;
const WARM_UP_PASSES = Number(process.env.HOSTILE_WARM_UP_PASSES ?? 2);

// --- payloads ------------------------------------------------------------------------------------

const text = (s: string) => new TextEncoder().encode(s);
const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** A multipart form with one file field, as a browser sends it. */
function form(field: string, bytes: Uint8Array, name = 'upload.bin'): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(bytes)]), name);
  return body;
}

/**
 * Hostile images and clips made by the project's own Python (Pillow, soundfile), as base64. The
 * server never sees a file: these are request bodies.
 */
const MEDIA = `
import base64, io, json, math, struct, sys, zlib

def b64(data): return base64.b64encode(data).decode()
out = {}
if sys.argv[1] == "cv":
    from PIL import Image
    def enc(image, fmt):
        buffer = io.BytesIO(); image.save(buffer, format=fmt); return buffer.getvalue()
    def chunk(kind, data): return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    def insert(png, data, before=b"IDAT"):
        at = png.index(before) - 4; return png[:at] + data + png[at:]
    picture = Image.radial_gradient("L").convert("RGB").resize((96, 96))
    png = enc(picture, "PNG")
    inflating = zlib.compress(b"A" * 50_000_000, 9)
    out["valid.png"] = b64(png)
    out["ztxt-bomb.png"] = b64(insert(png, chunk(b"zTXt", b"c\\0\\0" + inflating)))
    out["itxt-bomb-after-pixels.png"] = b64(insert(png, chunk(b"iTXt", b"c\\0\\1\\0\\0\\0" + inflating), b"IEND"))
    out["iccp-bomb.png"] = b64(insert(png, chunk(b"iCCP", b"p\\0\\0" + inflating)))
    out["many-text-chunks.png"] = b64(insert(png, b"".join(chunk(b"tEXt", b"k%d\\0" % i + b"x" * 60000) for i in range(30))))
    out["pixel-bomb.png"] = b64(enc(Image.new("1", (6000, 6000)), "PNG"))
    for fmt in ("PNG", "JPEG", "WEBP", "GIF", "BMP"):
        data = enc(picture, fmt)
        out[f"truncated-half.{fmt.lower()}"] = b64(data[: len(data) // 2])
        out[f"truncated-header.{fmt.lower()}"] = b64(data[:20])
    out["tiff.png"] = b64(enc(picture, "TIFF"))
    bmp = bytearray(enc(picture, "BMP")); bmp[18:26] = struct.pack("<ii", 100000, 100000)
    out["bmp-claims-10-gigapixels.bmp"] = b64(bytes(bmp))
    out["one-pixel.gif"] = b64(enc(Image.new("P", (1, 1)), "GIF"))
    out["tall-strip.png"] = b64(enc(Image.new("RGB", (1, 4000)), "PNG"))
else:
    import numpy as np, soundfile as sf
    def enc(samples, rate, fmt="WAV", subtype=None):
        buffer = io.BytesIO(); sf.write(buffer, samples, rate, format=fmt, subtype=subtype); return buffer.getvalue()
    def wav(rate, channels=1, frames=1600, size=None, tag=1, bits=16):
        data = bytes(max(1, bits // 8) * channels * frames)
        align = max(1, channels * bits // 8)
        fmt = struct.pack("<HHIIHH", tag, channels, rate % 2**32, rate * align % 2**32, align, bits)
        return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data) if size is None else size) + data
    def aiff(rate, frames=1600):
        m, e = math.frexp(rate)
        comm = struct.pack(">hIh", 1, frames, 16) + struct.pack(">HQ", e - 1 + 16383, int(m * 2**64) % 2**64)
        ssnd = struct.pack(">II", 0, 0) + bytes(2 * frames)
        body = b"AIFFCOMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
        return b"FORM" + struct.pack(">I", len(body)) + body
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000)).astype(np.float32)
    out["valid.wav"] = b64(enc(tone, 16000))
    out["rate-near-int-max.wav"] = b64(wav(2**31 - 1))
    out["rate-zero.wav"] = b64(wav(0))
    out["aiff-rate-1e30.aiff"] = b64(aiff(1e30))
    out["one-sample.wav"] = b64(enc(tone[:1], 16000))
    out["1000-channels.wav"] = b64(wav(16000, channels=1000, frames=2))
    out["size-field-4-gb.wav"] = b64(wav(16000, size=0xFFFFFFF0))
    out["gsm610.wav"] = b64(enc(np.tile(tone, 4), 8000, subtype="GSM610"))
    out["g721.wav"] = b64(enc(np.tile(tone, 4), 8000, subtype="G721_32"))
    out["ima-adpcm.wav"] = b64(enc(np.tile(tone, 4), 8000, subtype="IMA_ADPCM"))
    out["nan-samples.wav"] = b64(enc(np.full(8000, np.nan, dtype=np.float32), 16000, subtype="FLOAT"))
    out["96khz.wav"] = b64(enc(np.zeros(9600, dtype=np.float32), 96000))
    out["30-seconds.flac"] = b64(enc(np.zeros(16000 * 30, dtype=np.float32), 16000, "FLAC"))
    flac = enc(np.tile(tone, 4), 16000, "FLAC")
    out["truncated.flac"] = b64(flac[: len(flac) // 3])
    ogg = enc(np.tile(tone, 4), 16000, "OGG")
    out["truncated.ogg"] = b64(ogg[: len(ogg) // 2])
print(json.dumps(out))
`;

async function media(project: string, kind: 'cv' | 'speech'): Promise<Record<string, Uint8Array>> {
  const { stdout } = await run(join(project, '.venv/bin/python'), ['-c', MEDIA, kind], { cwd: project });
  const encoded = JSON.parse(stdout) as Record<string, string>;
  return Object.fromEntries(Object.entries(encoded).map(([name, b64]) => [name, new Uint8Array(Buffer.from(b64, 'base64'))]));
}

/** Requests every project's server gets: paths, methods, headers, JSON on a route that takes none. */
function commonProbes(routes: string[]): Probe[] {
  const probes: Probe[] = [
    { name: 'unknown route', path: '/nope', expect: [404] },
    { name: 'path traversal', path: '/../../etc/passwd', expect: [404] },
    { name: 'encoded traversal', path: '/%2e%2e/%2e%2e/etc/passwd', expect: [404] },
    { name: 'static traversal', path: '/static/../../pyproject.toml', expect: [404] },
    { name: 'encoded static traversal', path: '/static/%2e%2e/%2e%2e/pyproject.toml', expect: [404] },
    { name: 'dotfile', path: '/.env', expect: [404] },
    { name: 'git config', path: '/.git/config', expect: [404] },
    { name: 'NUL in path', path: '/health%00.json', expect: [404] },
    { name: 'unicode path', path: '/%E2%80%AE%F0%9F%92%A5', expect: [404] },
    { name: 'invalid UTF-8 in path', path: '/%ff%fe', expect: [404] },
    { name: 'long path', path: `/${'a'.repeat(8000)}`, expect: [404] },
    { name: 'odd query on health', path: '/health?%ff=%00&a[b]=1', expect: [200] },
    { name: 'garbage Accept', path: '/health', headers: { Accept: '*/*;q=abc, text/<script>' }, expect: [200] },
    { name: 'forged X-Forwarded-For', path: '/health', headers: { 'X-Forwarded-For': '<script>, ' + 'x'.repeat(2000) }, expect: [200] },
    { name: 'JSON sent to a GET route', method: 'POST', path: '/health', body: deepJson(5000), type: 'application/json', expect: [405] },
  ];
  for (const route of routes) {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'PROPFIND']) {
      probes.push({ name: `${method} ${route}`, method, path: route, expect: [405] });
    }
  }
  return probes;
}

const chat = (name: string, body: string | Uint8Array, expected: number[], type = 'application/json'): Probe => ({
  name, method: 'POST', path: '/api/chat', body, type, expect: expected,
});

function projectProbes(kind: Kind, files: Record<string, Uint8Array>): Probe[] {
  switch (kind) {
    case 'timeseries':
      return ['', '0', '61', '-1', '1e3', '1.0', 'NaN', '%00', '%ef%bc%91%ef%bc%92', '1_0', '+5', ' 7', '9'.repeat(5000), '1&h=2']
        .map((h) => ({ name: `h=${h.slice(0, 20)}`, path: `/forecast?h=${h}`, expect: [400] }))
        .concat([{ name: 'h=12', path: '/forecast?h=12', expect: [200] }]);
    case 'scraper':
      return [
        ...['0', '101', '-1', 'abc', '9'.repeat(400), '1e2', '%00', '5&limit=6'].map((v) => ({ name: `limit=${v.slice(0, 20)}`, path: `/books?limit=${v}`, expect: [400] })),
        ...['6', '-1', 'x', '4.5'].map((v) => ({ name: `min_rating=${v}`, path: `/books?min_rating=${v}`, expect: [400] })),
        { name: 'category SQL', path: `/books?category=${encodeURIComponent("' OR 1=1; DROP TABLE books; --")}`, expect: [200] },
        { name: 'category NUL', path: '/books?category=Poetry%00', expect: [400] },
        { name: 'category newline', path: '/books?category=a%0Ab', expect: [400] },
        { name: 'category 200 chars', path: `/books?category=${'x'.repeat(200)}`, expect: [400] },
        { name: 'category invalid UTF-8', path: '/books?category=%ff%fe', expect: [200, 400] },
      ];
    case 'nlp':
      return [
        chat('valid', JSON.stringify({ message: 'what is 12 times 7?' }), [200]),
        chat('deep JSON under the byte cap', `{"message": ${deepJson(3000)}}`, [400]),
        chat('deep object', '{"a":'.repeat(1000) + '1' + '}'.repeat(1000), [400]),
        chat('NaN', '{"message": NaN}', [400]),
        chat('Infinity', '{"message": "hi", "x": -Infinity}', [400]),
        chat('5000-digit integer', `{"message": ${'9'.repeat(5000)}}`, [400]),
        chat('huge number to multiply', JSON.stringify({ message: `what is ${'9'.repeat(400)} times 2` }), [200]),
        chat('huge number to convert', JSON.stringify({ message: `convert ${'9'.repeat(400)} km to miles` }), [200]),
        chat('tiny divisor', JSON.stringify({ message: `what is 1000 divided by 0.${'0'.repeat(330)}1` }), [200]),
        chat('huge temperature', JSON.stringify({ message: `convert ${'9'.repeat(300)} f to c` }), [200]),
        chat('far future date', JSON.stringify({ message: 'how many days until 9999-12-31' }), [200]),
        chat('impossible date', JSON.stringify({ message: 'how many days until 2026-02-31' }), [200]),
        chat('lone surrogate', '{"message": "\\ud800"}', [400]),
        chat('invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), [400]),
        chat('message is a list', JSON.stringify({ message: ['hi'] }), [400]),
        chat('message over 500 chars', JSON.stringify({ message: 'a'.repeat(501) }), [400]),
        chat('body over 8 KB', JSON.stringify({ message: 'a'.repeat(9000) }), [413]),
        chat('text/plain', 'hello', [415], 'text/plain'),
        chat('no content type', '{"message": "hi"}', [415], ''),
        chat('form body', 'message=hi', [415], 'application/x-www-form-urlencoded'),
      ];
    case 'cv': {
      const predict = (name: string, body: FormData | Uint8Array, expected: number[], query = '?format=json'): Probe => ({
        name, method: 'POST', path: `/predict${query}`, body, expect: expected,
      });
      const probes = Object.entries(files)
        .filter(([name]) => name !== 'valid.png' && name !== 'one-pixel.gif' && name !== 'tall-strip.png')
        .map(([name, bytes]) => predict(name, form('image', bytes, name), [400]));
      return [
        ...probes,
        predict('valid', form('image', files['valid.png']!), [200]),
        predict('valid as PNG', form('image', files['valid.png']!), [200], ''),
        predict('one pixel', form('image', files['one-pixel.gif']!), [200]),
        predict('1x4000 strip', form('image', files['tall-strip.png']!), [200]),
        predict('empty file', form('image', new Uint8Array(0)), [400]),
        predict('wrong field', form('file', files['valid.png']!), [400]),
        predict('raw body, no form', files['valid.png']!, [400]),
        predict('unknown format', form('image', files['valid.png']!), [400], '?format=xml'),
        predict('format twice', form('image', files['valid.png']!), [400], '?format=json&format=png'),
        predict('over 8 MiB', form('image', new Uint8Array(9 * 1024 * 1024)), [413]),
        predict('broken multipart', text('--x\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc'), [400]),
      ].map((probe) => (probe.name === 'broken multipart' ? { ...probe, type: 'multipart/form-data; boundary=x' } : probe));
    }
    case 'speech': {
      const transcribe = (name: string, body: FormData | Uint8Array, expected: number[]): Probe => ({
        name, method: 'POST', path: '/transcribe', body, expect: expected,
      });
      const expected: Record<string, number[]> = {
        'valid.wav': [200], 'size-field-4-gb.wav': [200], 'gsm610.wav': [415], 'g721.wav': [415], 'ima-adpcm.wav': [415],
        // What survives of a cut FLAC or OGG may still decode (to a shorter clip).
        'truncated.flac': [200, 400], 'truncated.ogg': [200, 400],
      };
      return [
        ...Object.entries(files).map(([name, bytes]) => transcribe(name, form('file', bytes, name), expected[name] ?? [400])),
        transcribe('raw valid body', files['valid.wav']!, [200]),
        transcribe('raw GIF body', text('GIF89a'.repeat(50)), [400]),
        transcribe('wrong field', form('audio', files['valid.wav']!), [400]),
        transcribe('empty file', form('file', new Uint8Array(0)), [400]),
        transcribe('over 5 MB', form('file', new Uint8Array(6 * 1024 * 1024)), [413]),
      ];
    }
  }
}

/** The API routes each project's server has (for the method probes). */
const ROUTES: Record<Kind, string[]> = {
  timeseries: ['/forecast', '/health'],
  scraper: ['/books', '/health'],
  nlp: ['/api/chat', '/health'],
  cv: ['/predict', '/health'],
  speech: ['/transcribe', '/health'],
};

// --- raw HTTP ------------------------------------------------------------------------------------

/** Sends raw bytes on a new connection; the status line's code, or 0 if it closed without one. */
function rawRequest(port: number, bytes: string | Uint8Array, waitMs = REQUEST_TIMEOUT_MS): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw request hung for ${waitMs} ms: ${String(bytes).slice(0, 80)}`));
    }, waitMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the answer is fine
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, body: received.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    });
  });
}

/** Malformed HTTP that waitress itself refuses: answered, as JSON, or the connection closed. */
async function rawProbes(port: number): Promise<number[]> {
  const cases = [
    `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
    'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
    'POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
    'BREW /health HTTP/1.1\r\nHost: x\r\n\r\n',
    'TRACE /health HTTP/1.1\r\nHost: x\r\n\r\n', // fetch() refuses to send TRACE
    '\u0000\u0001\u0002 garbage \r\n\r\n',
    `GET /${'a'.repeat(30_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n',
  ];
  const statuses: number[] = [];
  for (const bytes of cases) {
    const { status, body } = await rawRequest(port, bytes);
    expect(status, `raw: ${bytes.slice(0, 60)}`).toBeLessThan(500);
    if (status >= 400) expect(JSON.parse(body).error, `raw: ${bytes.slice(0, 60)}`).toBeTruthy();
    statuses.push(status);
  }
  return statuses;
}

// --- the server process --------------------------------------------------------------------------

/** The pid of the process listening on 127.0.0.1:`port` (Linux /proc). */
function listeningPid(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A') inodes.add(fields[9]!); // 0A: LISTEN
    }
  }
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (inodes.has(target.replace(/^socket:\[(\d+)\]$/, '$1'))) return Number(pid);
      }
    } catch {
      // a process that ended, or one we may not look into
    }
  }
  throw new Error(`no process listens on port ${port}`);
}

/** path -> size and modification time of every file in the project but .venv and caches. */
function projectFiles(project: string): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const entry of readdirSync(project, { recursive: true })) {
    const path = String(entry);
    if (/^(\.venv|\.git)(\/|$)|__pycache__|\.pytest_cache|\.ruff_cache/.test(path)) continue;
    const stat = statSync(join(project, path));
    if (stat.isFile()) seen[path] = `${stat.size} ${stat.mtimeMs}`;
  }
  return seen;
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

// --- the battery ---------------------------------------------------------------------------------

async function send(base: string, probe: Probe): Promise<Response> {
  const headers: Record<string, string> = { ...probe.headers };
  if (probe.type !== undefined && probe.type !== '') headers['Content-Type'] = probe.type;
  let body = probe.body;
  if (probe.type === '' && typeof body === 'string') body = text(body); // fetch labels strings text/plain
  return fetch(`${base}${probe.path}`, {
    method: probe.method ?? 'GET',
    headers,
    body: body as BodyInit | undefined,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** Polls /health every 200 ms until stopped; the slowest answer in ms (a failure counts as Infinity). */
function watchHealth(base: string): { stop: () => Promise<number> } {
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        slowest = Math.max(slowest, response.ok ? performance.now() - started : Infinity);
      } catch {
        slowest = Infinity;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return slowest;
    },
  };
}

/** 150 connections that send their headers a byte a second (some send nothing at all). */
async function slowConnections(port: number, base: string): Promise<number> {
  const sockets: Socket[] = [];
  const drip = setInterval(() => {
    for (const [i, socket] of sockets.entries()) if (i % 3 && !socket.destroyed) socket.write('a');
  }, 1_000);
  try {
    for (let i = 0; i < SLOW_CONNECTIONS; i += 1) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined); // the server closes them after its header timeout
      if (i % 3) socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let slowest = 0;
    for (let i = 0; i < 8; i += 1) {
      const started = performance.now();
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return slowest;
  } finally {
    clearInterval(drip);
    for (const socket of sockets) socket.destroy();
  }
}

/** Sends every probe once; checks status, JSON errors and that nothing hung. */
async function pass(base: string, probes: Probe[], statuses: Record<string, number>): Promise<void> {
  for (const probe of probes) {
    let response: Response;
    try {
      response = await send(base, probe);
    } catch (error) {
      throw new Error(`${probe.name}: no answer within ${REQUEST_TIMEOUT_MS} ms (${String(error)})`);
    }
    const body = await response.text();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    expect(response.status, `${probe.name}: ${body.slice(0, 300)}`).toBeLessThan(500);
    if (probe.expect) expect(probe.expect, `${probe.name}: got ${response.status} ${body.slice(0, 300)}`).toContain(response.status);
    if (response.status >= 400) {
      expect(response.headers.get('content-type'), probe.name).toMatch(/^application\/json/);
      expect((JSON.parse(body) as { error?: string }).error, probe.name).toBeTruthy();
    }
  }
}

/**
 * Runs the battery against `base` (the server of `project`, a generated project of `kind` with its
 * .venv). Throws, through vitest's expect, on the first broken promise.
 */
export async function expectSurvivesHostileInput(project: string, base: string, kind: Kind): Promise<HostileReport> {
  const port = Number(new URL(base).port);
  const pid = listeningPid(port);
  const files = kind === 'cv' || kind === 'speech' ? await media(project, kind) : {};
  const probes = [...commonProbes(ROUTES[kind]), ...projectProbes(kind, files)];
  const statuses: Record<string, number> = {};
  const untouched = projectFiles(project);
  const health = watchHealth(base);
  let slowConnectionsMs = 0;
  let rssGrowthKb = 0;
  try {
    // The first passes also warm up caches and the allocator's per-thread arenas (each of the 4
    // worker threads grows its own the first few times it decodes an image): growth is measured
    // over the pass after that.
    for (let warmUp = 0; warmUp < WARM_UP_PASSES; warmUp += 1) {
      await pass(base, probes, statuses);
      await rawProbes(port);
    }
    const before = rssKb(pid);
    await pass(base, probes, statuses);
    await rawProbes(port);
    rssGrowthKb = rssKb(pid) - before;
    if (process.env.HOSTILE_RSS_LOG) console.log(`RSS ${before} -> ${rssKb(pid)} KB`);

    // Many at once: 100 concurrent requests, all answered.
    const many = await Promise.all(Array.from({ length: 100 }, () => fetch(`${base}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })));
    expect(many.map((r) => r.status)).toEqual(Array(100).fill(200));

    slowConnectionsMs = await slowConnections(port, base);

    // A stranger behind the tunnel (which names them in X-Forwarded-For) gets 429s past the burst.
    const stranger = { 'X-Forwarded-For': '203.0.113.77' };
    const burst = [];
    for (let i = 0; i < 40; i += 1) burst.push(await fetch(`${base}/openapi.json`, { headers: stranger }));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length, 'a burst of 40 from one client is rate limited').toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited[0]!.json()) as { error: string }).error).toMatch(/too many requests/);
    expect((await fetch(`${base}/openapi.json`)).status, 'the machine’s own user is not limited').toBe(200);
  } finally {
    const slowest = await health.stop();
    expect(slowest, '/health answered within a second throughout').toBeLessThan(HEALTH_LIMIT_MS);
  }
  expect(slowConnectionsMs, '/health while 150 slow connections are open').toBeLessThan(HEALTH_LIMIT_MS);
  expect(rssGrowthKb, 'RSS growth over a pass once warm (KB)').toBeLessThan(RSS_GROWTH_LIMIT_KB);

  await schemathesis(base);
  expect(projectFiles(project), 'no request wrote a file in the project').toEqual(untouched);
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { requests, statuses, slowestHealthMs: Math.round(slowConnectionsMs), rssGrowthKb };
}

/** schemathesis (PyPI, in .tools) fuzzes every operation of /openapi.json: no 5xx, answers as documented. */
async function schemathesis(base: string): Promise<void> {
  await run(
    tool('schemathesis'),
    [
      'run', `${base}/openapi.json`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--max-examples', '25', '--generation-deterministic', '--workers', '1',
      '--request-timeout', '15', '--no-color',
    ],
    // Its own cache goes to a scratch folder, not into this repository.
    { cwd: freshDir('schemathesis'), env: { SCHEMATHESIS_TELEMETRY: 'false' } },
  );
}
