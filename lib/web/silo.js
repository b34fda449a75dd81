/*
 * The script of the pages medo web writes.  Listings and the index need
 * none of it; the file viewers (t/<key>/f.html, object.html) read bytes
 * from the silo over HTTP, as medo cat does, with nothing but what a
 * browser offers:
 *
 *  - a loose object, objects/xx/rest.gz, is fetched and inflated with
 *    DecompressionStream('gzip'), member by member (silo writes large
 *    objects as several gzip members; the browser inflates one);
 *  - a packed object is found through the pack indexes (range reads of
 *    the index's fan-out, one slice of its ids and its offsets), read
 *    with one range request of exactly its entry, inflated with
 *    DecompressionStream('deflate') and, for a delta (OFS_DELTA,
 *    REF_DELTA), applied to its base, read the same way;
 *  - the packs searched are those a treeptr of kind tree names, then
 *    those their .moved files name, then pack/packs (silo-layout(5));
 *  - a file of a tar (kind tar, or an archive kept byte for byte) is
 *    found by reading the tar as it streams in, and the rest is not
 *    fetched; a .tar.gz is inflated on the way, a zip read whole.
 *
 * Every file shown is checked against its blob id (SHA-1 or SHA-256 of
 * git's "blob <size>\0" header and the bytes, with crypto.subtle).
 * The page's <html> gets data-state="done" or "error" when it is
 * finished, and <main> data-verified="yes" when the bytes matched.
 */
'use strict';

(function () {
	const main = document.getElementById('main');
	const html = document.documentElement;

	function finish(state) {
		html.dataset.state = state;
	}

	if (!main || !main.classList.contains('viewer')) {
		finish('done');
		return;
	}

	/* ---- bytes ---- */

	function concat(parts, total) {
		if (total === undefined)
			total = parts.reduce((n, p) => n + p.length, 0);
		const out = new Uint8Array(total);
		let at = 0;
		for (const p of parts) {
			out.set(p, at);
			at += p.length;
		}
		return out;
	}

	/* A buffer that grows by doubling: appending is amortised O(1). */
	class Buffer {
		constructor() {
			this.a = new Uint8Array(65536);
			this.n = 0;
		}
		push(c) {
			if (this.n + c.length > this.a.length) {
				let size = this.a.length;
				while (size < this.n + c.length)
					size *= 2;
				const b = new Uint8Array(size);
				b.set(this.a.subarray(0, this.n));
				this.a = b;
			}
			this.a.set(c, this.n);
			this.n += c.length;
		}
		view() {
			return this.a.subarray(0, this.n);
		}
		drop(k) {
			this.a.copyWithin(0, k, this.n);
			this.n -= k;
		}
	}

	function hex(bytes) {
		return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
	}

	function unhex(s) {
		const out = new Uint8Array(s.length / 2);
		for (let i = 0; i < out.length; i++)
			out[i] = parseInt(s.substr(2 * i, 2), 16);
		return out;
	}

	class TooLarge extends Error {}

	function be32(b, at) {
		return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
	}

	/*
	 * Inflate BYTES whole with DecompressionStream(FORMAT): the output,
	 * or null when they are not exactly one complete stream (cut short,
	 * damaged, or followed by other bytes, which the browser refuses).
	 * More than LIMIT bytes of output (when given) is an error at once:
	 * a few kilobytes of deflate can claim gigabytes.
	 */
	async function inflateWhole(format, bytes, limit) {
		const ds = new DecompressionStream(format);
		const writer = ds.writable.getWriter();
		const written = writer.write(bytes).then(() => writer.close()).catch(() => {});
		const reader = ds.readable.getReader();
		const parts = [];
		let total = 0;
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done)
					break;
				total += value.length;
				if (limit !== undefined && total > limit) {
					await reader.cancel().catch(() => {});
					await written;
					throw new TooLarge('data that inflates past the ' + limit +
							   ' bytes it declares');
				}
				parts.push(value);
			}
		} catch (e) {
			if (e instanceof TooLarge)
				throw e;
			await written;
			return null;
		}
		await written;
		return concat(parts, total);
	}

	/*
	 * Inflate gzip data arriving as CHUNKS (an async iterable), member
	 * after member, yielding each member's output.  The browser inflates
	 * one member and refuses what follows it, and a member's length is
	 * not in its header: a member can only end where the next starts,
	 * with the bytes 1f 8b 08, so the bytes up to each such place are
	 * tried as a whole member until one inflates.  Such bytes inside
	 * compressed data are rare, so a member is inflated about once.
	 */
	async function* gunzip(chunks, limit) {
		const buf = new Buffer();
		let scan = 18, made = 0;
		const left = () => (limit === undefined ? undefined : limit - made);
		for await (const c of chunks) {
			buf.push(c);
			for (;;) {
				const v = buf.view();
				let at = -1;
				for (let i = scan; i + 2 < v.length; i++)
					if (v[i] === 0x1f && v[i + 1] === 0x8b && v[i + 2] === 8) {
						at = i;
						break;
					}
				if (at < 0) {
					scan = Math.max(18, v.length - 2);
					break;
				}
				const out = await inflateWhole('gzip', v.subarray(0, at), left());
				if (out) {
					made += out.length;
					yield out;
					buf.drop(at);
					scan = 18;
				} else {
					scan = at + 1;
				}
			}
		}
		if (buf.n) {
			const out = await inflateWhole('gzip', buf.view(), left());
			if (!out)
				throw new Error('not a complete gzip stream');
			yield out;
		}
	}

	async function* once(bytes) {
		yield bytes;
	}

	/* ---- HTTP ---- */

	class NotFound extends Error {}

	/* The bytes of URL from START to END (exclusive; to its end when
	 * undefined), or null when the server has no such file. */
	async function get(url, start, end) {
		const headers = {};
		if (start !== undefined)
			headers.Range = 'bytes=' + start + '-' + (end === undefined ? '' : end - 1);
		const r = await fetch(url, { headers });
		if (r.status === 404 || r.status === 410)
			return null;
		if (!r.ok)
			throw new Error(url + ': HTTP ' + r.status);
		let b = new Uint8Array(await r.arrayBuffer());
		/* A server that ignores ranges sends the whole file. */
		if (start !== undefined && r.status === 200)
			b = b.subarray(start, end);
		return b;
	}

	/* The body of URL as an async iterable of chunks, or null (404). */
	async function stream(url) {
		const r = await fetch(url);
		if (r.status === 404 || r.status === 410)
			return null;
		if (!r.ok)
			throw new Error(url + ': HTTP ' + r.status);
		const reader = r.body.getReader();
		return (async function* () {
			try {
				for (;;) {
					const { done, value } = await reader.read();
					if (done)
						return;
					yield value;
				}
			} finally {
				/* Stopped early (the file was found): no more bytes. */
				reader.cancel().catch(() => {});
			}
		})();
	}

	/* ---- packs ---- */

	/* A pack's index (git's version 2), read by ranges: its fan-out,
	 * the slice of ids that start with one byte, and its offsets. */
	class PackIndex {
		constructor(silo, name) {
			this.silo = silo;
			this.name = name;
			this.url = silo.base + 'pack/' + name + '.idx';
			this.buckets = new Map();
		}
		/* Its fan-out: false when the index is not there. */
		head() {
			if (!this._head)
				this._head = get(this.url, 0, 8 + 1024).then((b) => {
					if (!b)
						return false;
					if (b.length < 1032 || be32(b, 0) !== 0xff744f63 || be32(b, 4) !== 2)
						throw new Error(this.url + ': not a pack index of version 2');
					this.fanout = [];
					for (let i = 0; i < 256; i++)
						this.fanout.push(be32(b, 8 + 4 * i));
					this.n = this.fanout[255];
					return true;
				});
			return this._head;
		}
		/* The position of ID (bytes) in the index, or -1. */
		async find(id) {
			if (!(await this.head()))
				return -1;
			const h = this.silo.hashLen, first = id[0];
			const lo = first ? this.fanout[first - 1] : 0, hi = this.fanout[first];
			if (lo >= hi)
				return -1;
			if (!this.buckets.has(first))
				this.buckets.set(first, get(this.url, 1032 + lo * h, 1032 + hi * h));
			const ids = await this.buckets.get(first);
			if (!ids || ids.length !== (hi - lo) * h)
				throw new Error(this.url + ': cut short');
			let a = 0, b = hi - lo;
			while (a < b) {
				const m = (a + b) >> 1;
				let c = 0;
				for (let k = 0; k < h && !c; k++)
					c = ids[m * h + k] - id[k];
				if (!c)
					return lo + m;
				if (c < 0)
					a = m + 1;
				else
					b = m;
			}
			return -1;
		}
		/* Every entry's offset, by position, and sorted: where each ends. */
		offsets() {
			if (!this._offsets)
				this._offsets = (async () => {
					const h = this.silo.hashLen, n = this.n;
					const at = 1032 + n * (h + 4);
					const t = await get(this.url, at, at + 4 * n);
					if (!t || t.length !== 4 * n)
						throw new Error(this.url + ': cut short');
					const v = new Array(n);
					let large = 0;
					for (let i = 0; i < n; i++) {
						v[i] = be32(t, 4 * i);
						if (v[i] >= 0x80000000)
							large = Math.max(large, (v[i] & 0x7fffffff) + 1);
					}
					if (large) {
						const lat = at + 4 * n;
						const l = await get(this.url, lat, lat + 8 * large);
						if (!l || l.length !== 8 * large)
							throw new Error(this.url + ': cut short');
						for (let i = 0; i < n; i++)
							if (v[i] >= 0x80000000) {
								const k = 8 * (v[i] & 0x7fffffff);
								v[i] = be32(l, k) * 4294967296 + be32(l, k + 4);
							}
					}
					const sorted = v.slice().sort((x, y) => x - y);
					return { byPos: v, sorted };
				})();
			return this._offsets;
		}
		/* The end of the entry at OFFSET: the next entry's offset, or
		 * null for the last one (then it ends before the trailer). */
		async endOf(offset) {
			const s = (await this.offsets()).sorted;
			let a = 0, b = s.length;
			while (a < b) {
				const m = (a + b) >> 1;
				if (s[m] <= offset)
					a = m + 1;
				else
					b = m;
			}
			return a < s.length ? s[a] : null;
		}
	}

	const TYPES = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

	/* The sizes a delta's header gives: of its base and of its result,
	 * and where its instructions start. */
	function deltaSizes(delta) {
		let i = 0;
		function varint() {
			let v = 0, shift = 0, c;
			do {
				if (i >= delta.length || shift > 49)
					throw new Error('a delta with a damaged header');
				c = delta[i++];
				v += (c & 0x7f) * Math.pow(2, shift);
				shift += 7;
			} while (c & 0x80);
			return v;
		}
		const base = varint(), result = varint();
		return { base, result, at: i };
	}

	/* Apply git's delta DELTA to BASE. */
	function applyDelta(base, delta) {
		const h = deltaSizes(delta);
		let i = h.at;
		if (h.base !== base.length)
			throw new Error('a delta for a base of another size');
		const out = new Uint8Array(h.result);
		let o = 0;
		while (i < delta.length) {
			const op = delta[i++];
			if (op & 0x80) {
				let off = 0, size = 0;
				for (let k = 0; k < 4; k++)
					if (op & (1 << k))
						off += delta[i++] * Math.pow(2, 8 * k);
				for (let k = 0; k < 3; k++)
					if (op & (0x10 << k))
						size += delta[i++] << (8 * k);
				if (!size)
					size = 0x10000;
				if (off + size > base.length || o + size > out.length)
					throw new Error('a delta copies outside its base');
				out.set(base.subarray(off, off + size), o);
				o += size;
			} else if (op) {
				if (o + op > out.length || i + op > delta.length)
					throw new Error('a delta inserts past its end');
				out.set(delta.subarray(i, i + op), o);
				o += op;
				i += op;
			} else {
				throw new Error('a delta with opcode 0');
			}
		}
		if (o !== out.length)
			throw new Error('a delta that falls short of its size');
		return out;
	}

	/* ---- a silo over HTTP ---- */

	class Silo {
		constructor(base, format) {
			this.base = base;
			this.format = format;
			this.hashLen = format === 'sha256' ? 32 : 20;
			this.indexes = new Map();
			this.order = [];	/* pack names, in the order searched */
			this.movedLookups = 0;
			this.listRead = false;
		}
		index(name) {
			if (!this.indexes.has(name))
				this.indexes.set(name, new PackIndex(this, name));
			return this.indexes.get(name);
		}
		add(name) {
			if (/^pack-[0-9a-f]+$/.test(name) && !this.order.includes(name))
				this.order.push(name);
		}
		/* The packs a .moved file names (at most 16; at most 32 such
		 * look-ups a page), as medo's reader bounds them. */
		async moved(name) {
			if (this.movedLookups >= 32)
				return;
			this.movedLookups++;
			const b = await get(this.base + 'pack/' + name + '.moved', 0, 4096);
			if (!b)
				return;
			const lines = new TextDecoder().decode(b).split('\n');
			lines.pop();	/* cut off, or empty after the last newline */
			lines.slice(0, 16).forEach((l) => this.add(l.trim()));
		}
		/* The pack index and position of ID (hex), searching HINTS
		 * first, or null. */
		async locate(id, hints) {
			const raw = unhex(id);
			(hints || []).forEach((h) => this.add(h));
			for (let pass = 0; pass < 2; pass++) {
				for (let k = 0; k < this.order.length; k++) {
					const idx = this.index(this.order[k]);
					if (!(await idx.head())) {
						await this.moved(this.order[k]);
						continue;
					}
					const pos = await idx.find(raw);
					if (pos >= 0)
						return { idx, pos };
				}
				if (this.listRead)
					break;
				this.listRead = true;
				const list = await get(this.base + 'pack/packs');
				if (!list)
					break;
				new TextDecoder().decode(list).split('\n').forEach((l) => {
					const m = /^P (pack-[0-9a-f]+)\.pack$/.exec(l.trim());
					if (m)
						this.add(m[1]);
				});
			}
			return null;
		}
		/* The entry at OFFSET of pack IDX: its type and inflated data
		 * (the object, or a delta and its base).  WANT, when known, is
		 * the size of the object it must make: a larger size declared,
		 * or data inflating past its declared size, stops the read. */
		async entry(idx, offset, how, want) {
			const end = await idx.endOf(offset);
			const url = this.base + 'pack/' + idx.name + '.pack';
			let b = await get(url, offset, end === null ? undefined : end);
			if (!b)
				throw new Error(url + ': not on the server');
			if (end === null)
				b = b.subarray(0, b.length - this.hashLen);
			else if (b.length !== end - offset)
				throw new Error(url + ': cut short');
			how.push(idx.name + '.pack at ' + offset);
			let i = 0, c = b[i++];
			const type = (c >> 4) & 7;
			let size = c & 15, shift = 4;
			while (c & 0x80) {
				c = b[i++];
				size += (c & 0x7f) * Math.pow(2, shift);
				shift += 7;
			}
			const e = { type, size };
			if (type === 6) {
				c = b[i++];
				let off = c & 0x7f;
				while (c & 0x80) {
					c = b[i++];
					off = (off + 1) * 128 + (c & 0x7f);
				}
				/* git puts a delta's base before it, past the pack's
				 * header: anything else would loop. */
				if (!off || off > offset - 12)
					throw new Error(url + ': a delta at ' + offset +
							' whose base is not before it');
				e.baseOffset = offset - off;
			} else if (type === 7) {
				e.baseId = hex(b.subarray(i, i + this.hashLen));
				i += this.hashLen;
			} else if (!TYPES[type]) {
				throw new Error(url + ': an entry of type ' + type + ' at ' + offset);
			}
			/* An object of WANT bytes; a delta making one: an
			 * instruction of at most 8 bytes per byte made. */
			if (want !== undefined && (TYPES[type] ? size !== want : size > 8 * want + 32))
				throw new Error(url + ': the entry at ' + offset + ' declares ' + size +
						' bytes, for an object of ' + want);
			try {
				e.data = await inflateWhole('deflate', b.subarray(i), size);
			} catch (err) {
				throw new Error(url + ': the entry at ' + offset + ' is ' + err.message);
			}
			if (!e.data || e.data.length !== size)
				throw new Error(url + ': the entry at ' + offset + ' does not inflate');
			return e;
		}
		/* The object at OFFSET of IDX, deltas resolved; of WANT bytes
		 * when given, and each base of the size its delta names. */
		async packed(idx, offset, how, depth, want) {
			if (depth > 10000)
				throw new Error('a delta chain without end');
			const e = await this.entry(idx, offset, how, want);
			if (TYPES[e.type])
				return { type: TYPES[e.type], data: e.data };
			const h = deltaSizes(e.data);
			if (want !== undefined && h.result !== want)
				throw new Error('a delta making ' + h.result + ' bytes, for an object of ' + want);
			const base = e.type === 6 ?
				await this.packed(idx, e.baseOffset, how, depth + 1, h.base) :
				await this.packedById(e.baseId, [idx.name], how, depth + 1, h.base);
			if (!base)
				throw new Error('the delta base ' + e.baseId + ' is not in the silo');
			return { type: base.type, data: applyDelta(base.data, e.data), delta: true };
		}
		async packedById(id, hints, how, depth, want) {
			const at = await this.locate(id, hints);
			if (!at)
				return null;
			const offset = (await at.idx.offsets()).byPos[at.pos];
			return this.packed(at.idx, offset, how, depth || 0, want);
		}
		/* The loose object ID as a stream of its content (at most WANT
		 * bytes, when given), or null. */
		async loose(id, want) {
			const chunks = await stream(this.base + 'objects/' + id.slice(0, 2) + '/' +
						    id.slice(2) + '.gz');
			return chunks ? gunzip(chunks, want) : null;
		}
	}

	/* ---- choosing the silo ---- */

	let silosPromise;

	/* The silos of site.json that answer, in order. */
	function silos(format) {
		if (!silosPromise)
			silosPromise = (async () => {
				/* The site's top: object.html is there, f.html two levels below. */
				const top = new URL(main.dataset.kind === 'object' ? './' : '../../', location.href);
				const site = new URL('site.json', top);
				const r = await fetch(site);
				if (!r.ok)
					throw new Error(site + ': HTTP ' + r.status);
				const list = (await r.json()).silos || [];
				const found = [];
				for (const s of list) {
					const base = new URL(s, top).href;
					try {
						const c = await fetch(base + 'config.json');
						if (!c.ok)
							continue;
						const conf = await c.json();
						found.push(new Silo(base, conf['object-format'] || 'sha1'));
					} catch (e) {
						/* unreachable: the next one */
					}
				}
				if (!found.length)
					throw new Error('no silo of ' + list.join(', ') + ' answers');
				return found.filter((s) => !format || s.format === format);
			})();
		return silosPromise;
	}

	/* ---- tar and zip ---- */

	/* Read exactly N bytes, or what is left, from an async iterable. */
	class Reader {
		constructor(chunks) {
			this.it = chunks[Symbol.asyncIterator]();
			this.cur = new Uint8Array(0);
			this.at = 0;
		}
		async more() {
			const { done, value } = await this.it.next();
			if (done)
				return false;
			this.cur = value;
			this.at = 0;
			return true;
		}
		async read(n) {
			const parts = [];
			let got = 0;
			while (got < n) {
				if (this.at >= this.cur.length && !(await this.more()))
					break;
				const k = Math.min(n - got, this.cur.length - this.at);
				parts.push(this.cur.subarray(this.at, this.at + k));
				this.at += k;
				got += k;
			}
			return parts.length === 1 ? parts[0] : concat(parts, got);
		}
		async skip(n) {
			while (n > 0) {
				if (this.at >= this.cur.length && !(await this.more()))
					return;
				const k = Math.min(n, this.cur.length - this.at);
				this.at += k;
				n -= k;
			}
		}
		async close() {
			if (this.it.return)
				await this.it.return();
		}
	}

	const utf8 = new TextDecoder();

	function cstr(b, at, len) {
		let end = at;
		while (end < at + len && b[end])
			end++;
		return utf8.decode(b.subarray(at, end));
	}

	function tarNumber(b, at, len) {
		if (b[at] & 0x80) {	/* base 256 */
			let v = b[at] & 0x7f;
			for (let i = 1; i < len; i++)
				v = v * 256 + b[at + i];
			return v;
		}
		const s = cstr(b, at, len).trim();
		return s ? parseInt(s, 8) : 0;
	}

	function clean(path) {
		return path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
	}

	/* The entry WANT of the tar arriving as CHUNKS: { data } of a file,
	 * { link } of a symlink, { hardlink } naming an earlier entry. */
	async function tarFind(chunks, want) {
		const r = new Reader(chunks);
		let pax = {}, longName = null, longLink = null;
		try {
			for (;;) {
				const h = await r.read(512);
				if (h.length < 512 || h.every((x) => x === 0))
					return null;
				const type = String.fromCharCode(h[156] || 48);
				let size = tarNumber(h, 124, 12);
				if (pax.size !== undefined)
					size = Number(pax.size);
				const pad = Math.ceil(size / 512) * 512 - size;
				if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
					const body = await r.read(size);
					await r.skip(pad);
					if (type === 'x') {
						pax = {};
						let i = 0;
						while (i < body.length) {
							const sp = body.indexOf(32, i);
							const len = parseInt(utf8.decode(body.subarray(i, sp)), 10);
							if (!(len > 0))
								break;
							const rec = utf8.decode(body.subarray(sp + 1, i + len - 1));
							const eq = rec.indexOf('=');
							pax[rec.slice(0, eq)] = rec.slice(eq + 1);
							i += len;
						}
					} else if (type === 'L') {
						longName = cstr(body, 0, body.length);
					} else if (type === 'K') {
						longLink = cstr(body, 0, body.length);
					}
					continue;
				}
				const ustar = cstr(h, 257, 5) === 'ustar';
				const prefix = ustar ? cstr(h, 345, 155) : '';
				let name = cstr(h, 0, 100);
				if (prefix)
					name = prefix + '/' + name;
				const path = clean(pax.path || longName || name);
				const link = pax.linkpath || longLink || cstr(h, 157, 100);
				pax = {};
				longName = longLink = null;
				if (path === want) {
					if (type === '2')
						return { link };
					if (type === '1')
						return { hardlink: clean(link) };
					if (type === '0' || type === '7')
						return { data: await r.read(size) };
				}
				await r.skip(size + pad);
			}
		} finally {
			await r.close();
		}
	}

	async function collect(chunks) {
		const parts = [];
		for await (const c of chunks)
			parts.push(c);
		return concat(parts);
	}

	/* The entry WANT of the zip Z (bytes). */
	async function zipFind(z, want) {
		let e = z.length - 22;
		const le16 = (i) => z[i] | (z[i + 1] << 8);
		const le32 = (i) => (le16(i) + le16(i + 2) * 65536);
		while (e >= 0 && !(z[e] === 0x50 && z[e + 1] === 0x4b && z[e + 2] === 5 && z[e + 3] === 6))
			e--;
		if (e < 0)
			throw new Error('not a zip archive: no end of central directory');
		let at = le32(e + 16);
		const count = le16(e + 10);
		if (at === 0xffffffff || count === 0xffff)
			throw new Error('a zip64 archive: not read here; download it whole');
		for (let k = 0; k < count; k++) {
			if (le32(at) !== 0x02014b50)
				throw new Error('a damaged zip central directory');
			const method = le16(at + 10), csize = le32(at + 20), usize = le32(at + 24);
			const nlen = le16(at + 28), xlen = le16(at + 30), clen = le16(at + 32);
			const mode = le16(at + 40), local = le32(at + 42);
			const name = clean(utf8.decode(z.subarray(at + 46, at + 46 + nlen)));
			at += 46 + nlen + xlen + clen;
			if (name !== want)
				continue;
			const start = local + 30 + le16(local + 26) + le16(local + 28);
			const raw = z.subarray(start, start + csize);
			let data;
			if (method === 0)
				data = raw;
			else if (method === 8)
				data = await inflateWhole('deflate-raw', raw, usize);
			else
				throw new Error('zip method ' + method + ' cannot be read in a browser');
			if (!data || data.length !== usize)
				throw new Error('the zip entry does not inflate');
			if ((mode & 0xf000) === 0xa000)
				return { link: utf8.decode(data) };
			return { data };
		}
		return null;
	}

	/* ---- reading ---- */

	/* The object ID whole, from the first silo that has it. */
	async function readObject(id, format, hints, packedFirst, want) {
		const how = [];
		for (const s of await silos(format)) {
			if (packedFirst) {
				const o = await s.packedById(id, hints, how, 0, want);
				if (o)
					return { silo: s, type: o.type, data: o.data, how, delta: o.delta };
			}
			const l = await s.loose(id, want);
			if (l) {
				how.push('loose object');
				return { silo: s, type: 'blob', data: await collect(l), how };
			}
			if (!packedFirst) {
				const o = await s.packedById(id, hints, how, 0, want);
				if (o)
					return { silo: s, type: o.type, data: o.data, how, delta: o.delta };
			}
		}
		throw new NotFound('object ' + id + ' is in none of the silos');
	}

	/* The object ID as a stream: a loose one as it arrives. */
	async function objectChunks(id, format, how, want) {
		for (const s of await silos(format)) {
			const l = await s.loose(id, want);
			if (l) {
				how.push(s.base + ': loose object ' + id);
				return l;
			}
			const o = await s.packedById(id, [], how, 0, want);
			if (o) {
				how.unshift(s.base + ': packed object ' + id);
				return once(o.data);
			}
		}
		throw new NotFound('object ' + id + ' is in none of the silos');
	}

	/* The size of the object of the treeptr of the page, or undefined. */
	function objectSize(d) {
		const n = Number(d.objectSize);
		return d.objectSize && Number.isSafeInteger(n) ? n : undefined;
	}

	/* The bytes of PATH of an archive (kind tar or archive). */
	async function fromArchive(d, path, how) {
		const archive = d.archive || 'tar';
		if (!['tar', 'tar.gz', 'zip'].includes(archive))
			throw new Error('this is an ' + archive + ' archive, which a browser cannot ' +
					'decompress: download the whole archive and unpack it');
		if (archive === 'zip') {
			const z = await collect(await objectChunks(d.object, d.format, how, objectSize(d)));
			return zipFind(z, path);
		}
		for (let tries = 0; tries < 8; tries++) {
			let chunks = await objectChunks(d.object, d.format, how, objectSize(d));
			if (archive === 'tar.gz')
				chunks = gunzip(chunks);
			const e = await tarFind(chunks, path);
			if (!e || !e.hardlink)
				return e;
			how.push('hard link to ' + e.hardlink);
			path = e.hardlink;
		}
		throw new Error('too many hard links');
	}

	async function blobId(format, data, type) {
		if (!window.crypto || !crypto.subtle)
			return null;
		const head = new TextEncoder().encode((type || 'blob') + ' ' + data.length + '\0');
		const digest = await crypto.subtle.digest(format === 'sha256' ? 'SHA-256' : 'SHA-1',
							  concat([head, data]));
		return hex(new Uint8Array(digest));
	}

	/* ---- showing ---- */

	function el(tag, attrs, text) {
		const e = document.createElement(tag);
		for (const k in attrs || {})
			e.setAttribute(k, attrs[k]);
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function fact(term, value) {
		const facts = document.getElementById('file-facts');
		facts.append(el('dt', {}, term));
		const dd = el('dd');
		if (typeof value === 'string')
			dd.append(el('code', {}, value));
		else
			dd.append(value);
		facts.append(dd);
	}

	function status(text, kind) {
		const s = document.getElementById('status');
		s.textContent = text;
		s.className = kind || '';
	}

	function sizeText(n) {
		if (n < 1024)
			return n + (n === 1 ? ' byte' : ' bytes');
		const units = ['KiB', 'MiB', 'GiB', 'TiB'];
		let v = n, u = -1;
		while (v >= 1024 && u < units.length - 1) {
			v /= 1024;
			u++;
		}
		return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + ' ' + units[u];
	}

	const SHOW_MAX = 2 * 1024 * 1024;
	const IMAGES = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif',
			 webp: 'image/webp', svg: 'image/svg+xml', ico: 'image/x-icon' };

	function show(name, data) {
		const content = document.getElementById('content');
		const ext = (/\.([a-z0-9]+)$/i.exec(name) || [])[1];
		const type = IMAGES[(ext || '').toLowerCase()] || 'application/octet-stream';
		const url = URL.createObjectURL(new Blob([data], { type }));
		const p = el('p', { class: 'download' });
		p.append(el('a', { href: url, download: name.split('/').pop() || 'file' },
			    'Download ' + name.split('/').pop() + ' (' + sizeText(data.length) + ')'));
		content.append(p);
		if (IMAGES[(ext || '').toLowerCase()]) {
			content.append(el('img', { src: url, alt: name, class: 'shown' }));
			return;
		}
		const head = data.subarray(0, Math.min(data.length, SHOW_MAX));
		let text = null;
		if (!head.subarray(0, 8192).includes(0)) {
			try {
				text = new TextDecoder('utf-8', { fatal: true }).decode(head);
			} catch (e) {
				/* a multi-byte character cut at SHOW_MAX is still text */
				if (data.length > SHOW_MAX)
					try {
						text = new TextDecoder('utf-8', { fatal: true })
							.decode(head.subarray(0, head.length - 3), { stream: true });
					} catch (e2) {
						text = null;
					}
			}
		}
		if (data.length > SHOW_MAX)
			content.append(el('p', { class: 'note' }, 'Showing the first ' + sizeText(SHOW_MAX) +
					  ' of ' + sizeText(data.length) + '; the download has all of it.'));
		if (text !== null) {
			const pre = el('pre', { class: 'text', id: 'text', tabindex: '0',
						'aria-label': 'Content of ' + name });
			pre.textContent = text;
			content.append(pre);
			return;
		}
		const lines = [];
		const shown = data.subarray(0, Math.min(data.length, 64 * 1024));
		for (let i = 0; i < shown.length; i += 16) {
			const row = shown.subarray(i, i + 16);
			lines.push(i.toString(16).padStart(8, '0') + '  ' +
				   Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47) +
				   '  ' + Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join(''));
		}
		content.append(el('p', { class: 'note' }, 'Binary content' +
				  (data.length > shown.length ? ': the first ' + sizeText(shown.length) : '') +
				  ', in hexadecimal.'));
		content.append(el('pre', { class: 'hex', id: 'hex', tabindex: '0',
					   'aria-label': 'Bytes of ' + name }, lines.join('\n')));
	}

	async function verified(format, data, want, type) {
		const got = await blobId(format, data, type);
		if (got === null) {
			main.dataset.verified = 'unchecked';
			return 'Not checked: this browser hashes only on HTTPS or localhost.';
		}
		if (got !== want) {
			main.dataset.verified = 'no';
			throw new Error('the bytes read hash to ' + got + ', not ' + want);
		}
		main.dataset.verified = 'yes';
		return 'Checked: the bytes hash to ' + want + '.';
	}

	async function viewFile() {
		const d = main.dataset;
		const q = new URLSearchParams(location.hash.slice(1));
		const path = q.get('p'), id = q.get('b'), size = Number(q.get('s')), mode = q.get('m');
		if (!path || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id || ''))
			throw new Error('no file named in the address of this page');
		const name = path.split('/').pop();
		document.title = path + ' — tree ' + d.tree.slice(0, 12);
		document.getElementById('file-name').textContent = name;
		const crumb = document.getElementById('crumb-dirs');
		if (crumb) {
			crumb.textContent = path;
			crumb.hidden = false;
		}
		fact('Path', path);
		fact('Size', document.createTextNode(sizeText(size) + (size >= 1024 ? ' (' + size + ' bytes)' : '')));
		fact('Blob', id);
		if (mode)
			fact('Mode', document.createTextNode(mode === 'x' ? 'executable' : 'symbolic link'));
		status('Reading from the silo…');
		const how = [];
		let data, delta = false;
		if (d.kind === 'tree') {
			const o = await readObject(id, d.format, (d.packs || '').split(' ').filter(Boolean), true,
						   Number.isSafeInteger(size) ? size : undefined);
			if (o.type !== 'blob')
				throw new Error(id + ' is a ' + o.type + ', not a blob');
			data = o.data;
			delta = !!o.delta;
			how.push(o.silo.base + ': ' + o.how[0] + (o.how.length > 1 ?
				 ', through ' + (o.how.length - 1) + ' delta base' +
				 (o.how.length > 2 ? 's' : '') : ''));
		} else {
			const e = await fromArchive(d, path, how);
			if (!e)
				throw new Error('no ' + path + ' in the archive');
			data = e.link !== undefined ? new TextEncoder().encode(e.link) : e.data;
		}
		if (data.length !== size)
			throw new Error('read ' + data.length + ' bytes, not ' + size);
		const note = await verified(d.format, data, id);
		fact('Read from', document.createTextNode(how.join(', ')));
		main.dataset.delta = delta ? 'yes' : 'no';
		if (mode === 'l')
			fact('Target', utf8.decode(data));
		status(note, 'ok');
		show(path, data);
	}

	async function viewObject() {
		const q = new URLSearchParams(location.hash.slice(1));
		const id = q.get('o'), format = q.get('f') || undefined, name = q.get('n') || id;
		/* Its size when the site knows it (0: a build log, not known). */
		const size = /^[1-9][0-9]*$/.test(q.get('s') || '') ? Number(q.get('s')) : undefined;
		if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id || ''))
			throw new Error('no object named in the address of this page');
		document.getElementById('file-name').textContent = name;
		document.title = name + ' — object';
		fact('Object', id);
		status('Reading from the silo…');
		const o = await readObject(id, format, [], false,
					   Number.isSafeInteger(size) ? size : undefined);
		fact('Size', document.createTextNode(sizeText(o.data.length)));
		fact('Read from', document.createTextNode(o.silo.base + ': ' + o.how.join(', ')));
		const note = await verified(o.silo.format, o.data, id, o.type);
		status(note, 'ok');
		show(name, o.data);
	}

	(main.dataset.kind === 'object' ? viewObject() : viewFile()).then(
		() => finish('done'),
		(e) => {
			status('Cannot show it: ' + (e && e.message ? e.message : e), 'error');
			finish('error');
		});
})();
