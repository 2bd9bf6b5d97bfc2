"""Responses compressed by the app itself (brotli or gzip), under `make run` as behind nginx.

One `after_request` hook (registered by `init_app`, so that `Server-Timing` counts it):

    response of a compressible type (HTML, htmx fragments, JSON, CSS, JS, SVG, text, CSV)?
     │  no (PDF, XLSX, PNG/JPG, zip …), or compression off (SINERGI_COMPRESS=0) ─► as it is
     ├ Vary: Accept-Encoding (also on a 304 and on what goes out uncompressed)
     ├ 1xx, 204, 206, 304, already encoded, streamed (a generator), under
     │  SINERGI_COMPRESS_MIN_BYTES ─► as it is
     ├ the client's Accept-Encoding (q-values; equal ones: br, then gzip) ─► none: identity
     ├ a file (static/, /sw.js) ─► compressed once per (path, mtime, size) at the best level,
     │    kept in memory; its ETag gets "-br"/"-gzip" and If-None-Match is answered 304 for it
     └ a body (bytes, or a list of bytes such as the proposal page's head + tree + tail):
          br   ─► brotli at SINERGI_COMPRESS_BR_QUALITY over the whole body; a body that is one
                  large part seen before (the tree fetch) is served from the part cache
          gzip ─► one gzip member whose deflate stream is spliced from pieces (pigz's method):
                  each part of SEGMENT_BYTES or more is deflated on its own and ended by a sync
                  flush, so its compressed bytes are valid after any preceding data and are kept
                  in the part cache; the small parts around it (a page's head and tail, which
                  carry the viewer's name and CSRF token) are deflated per request; the trailer's
                  CRC-32 is computed over the whole body per request (0.2 ms for 1 MB).

Brotli streams cannot be spliced (a part's encoding depends on the state left by what precedes
it), so a body of several parts with a large one prefers gzip when the client accepts both: the
proposal page with 300 items is then 53 KB for 0.4 ms of compression instead of 35 KB for 5 ms
of brotli over its 1 MB per request (docs/performance.md, "Light pages").

The part cache is content-addressed: (length, hash) and a byte comparison, which for the cached
tree's bytes (the same object every time) costs nothing; a part is kept from its second sight on,
so a page rendered anew for each viewer (the matrix) never fills it. Socket.IO's long-polling is
answered by Engine.IO in front of Flask and never reaches this hook (Engine.IO compresses its own
responses).
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import brotli  # type: ignore[import-untyped]
from flask import Flask, Response, g, request

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/json",
        "application/manifest+json",
        "application/problem+json",
        "image/svg+xml",
        "text/plain",
        "text/csv",
        "text/xml",
        "application/xml",
    }
)
NEVER_COMPRESSED_STATUSES = frozenset({204, 206, 304})
ENCODINGS = ("br", "gzip")

SEGMENT_BYTES = 64 * 1024  # a part at least this large is compressed on its own and cached
PART_CACHE_BYTES = 48 * 1024 * 1024  # the part cache's originals and compressed copies, at most
SEEN_KEYS = 256  # parts seen once, remembered by key only
FILE_MAX_BYTES = 4 * 1024 * 1024  # a larger file goes out as it is
FILE_CACHE_ENTRIES = 128
FILE_BR_BEST_BYTES = 128 * 1024  # up to this size a file gets brotli's best (11, about 0.1 s once)
FILE_BR_QUALITY, FILE_BR_LARGE_QUALITY, FILE_GZIP_LEVEL = 11, 5, 9

# A gzip member's header (RFC 1952): deflate, no name, no time, no extra flags, OS unknown.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class Settings:
    enabled: bool
    min_bytes: int
    br_quality: int
    gzip_level: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        return cls(
            enabled=bool(config.get("SINERGI_COMPRESS", True)),
            min_bytes=int(config.get("SINERGI_COMPRESS_MIN_BYTES", 1024)),
            br_quality=int(config.get("SINERGI_COMPRESS_BR_QUALITY", 5)),
            gzip_level=int(config.get("SINERGI_COMPRESS_GZIP_LEVEL", 6)),
        )


def choose_encoding(accept_encoding: str, preference: tuple[str, ...] = ENCODINGS) -> str | None:
    """The coding to send (RFC 9110 §12.5.3): the highest q-value the client gives one of ours
    (named, or through `*`); equal ones go by `preference`. None: identity."""
    named: dict[str, float] = {}
    for element in accept_encoding.split(","):
        coding, _, parameters = element.partition(";")
        coding = coding.strip().lower()
        if coding == "x-gzip":
            coding = "gzip"
        if not coding:
            continue
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                continue
        named[coding] = max(quality, named.get(coding, 0.0))
    wildcard = named.get("*", 0.0)
    best, best_quality = None, 0.0
    for coding in preference:
        quality = named.get(coding, wildcard)
        if quality > best_quality:
            best, best_quality = coding, quality
    return best


@dataclass
class _Entry:
    data: bytes
    encoded: dict[str, bytes] = field(default_factory=dict)


class PartCache:
    """Compressed copies of large body parts, by content; LRU within PART_CACHE_BYTES."""

    def __init__(self, limit_bytes: int = PART_CACHE_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[int, int], _Entry] = OrderedDict()
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, part: bytes, encoding: str, make: Callable[[bytes], bytes]) -> bytes:
        # hash() of a bytes object is computed once and kept on it; == is an identity check first.
        key = (len(part), hash(part))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.data == part and encoding in entry.encoded:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.encoded[encoding]
        compressed = make(part)
        with self._lock:
            self.misses += 1
            self._keep(key, part, encoding, compressed)
        return compressed

    def _keep(self, key: tuple[int, int], part: bytes, encoding: str, compressed: bytes) -> None:
        entry = self._entries.get(key)
        if entry is not None:
            if entry.data == part and encoding not in entry.encoded:
                entry.encoded[encoding] = compressed
                self.bytes += len(compressed)
        elif key in self._seen:
            del self._seen[key]
            self._entries[key] = _Entry(part, {encoding: compressed})
            self.bytes += len(part) + len(compressed)
        else:
            self._seen[key] = None
            while len(self._seen) > SEEN_KEYS:
                self._seen.popitem(last=False)
        while self.bytes > self.limit_bytes and self._entries:
            _key, dropped = self._entries.popitem(last=False)
            self.bytes -= len(dropped.data) + sum(len(c) for c in dropped.encoded.values())


class FileCache:
    """Compressed files by (path, mtime, size, coding): a file changed on disk is compressed again."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, int, int, str], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: tuple[str, int, int, str]) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, int, int, str], compressed: bytes) -> None:
        with self._lock:
            self.misses += 1
            self._entries[key] = compressed
            while len(self._entries) > FILE_CACHE_ENTRIES:
                self._entries.popitem(last=False)


class Compression:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.parts = PartCache()
        self.files = FileCache()

    # ---- the hook ------------------------------------------------------------------------------

    def after_request(self, response: Response) -> Response:
        started = time.perf_counter()
        encoded_before = "Content-Encoding" in response.headers
        response = self._after_request(response)
        if not encoded_before and "Content-Encoding" in response.headers:
            # What compressing it cost (Server-Timing's "compress" with SINERGI_SERVER_TIMING=1).
            g.compression_ms = (time.perf_counter() - started) * 1000
        return response

    def _after_request(self, response: Response) -> Response:
        if not self.settings.enabled or response.mimetype not in COMPRESSIBLE:
            return response
        response.vary.add("Accept-Encoding")
        if (
            response.status_code < 200
            or response.status_code in NEVER_COMPRESSED_STATUSES
            or "Content-Encoding" in response.headers
        ):
            return response
        if response.direct_passthrough:
            return self._compress_file(response)
        if response.is_streamed:
            return response  # a generator: sent as it comes (none of the app's compressible ones)
        parts = [part for part in response.iter_encoded() if part]
        if sum(len(part) for part in parts) < self.settings.min_bytes:
            return response
        large = len(parts) > 1 and any(len(part) >= SEGMENT_BYTES for part in parts)
        encoding = choose_encoding(request.headers.get("Accept-Encoding", ""), ("gzip", "br") if large else ENCODINGS)
        if encoding is None:
            return response
        body = self._gzip(parts) if encoding == "gzip" else self._brotli(parts)
        response.set_data(body)
        return self._encoded(response, encoding)

    def _encoded(self, response: Response, encoding: str) -> Response:
        response.headers["Content-Encoding"] = encoding
        response.headers.pop("Accept-Ranges", None)  # ranges of the encoded bytes are not offered
        etag, weak = response.get_etag()
        if etag and not weak:
            # Each coding is its own representation, with its own strong validator (RFC 9110 §8.8.3).
            response.set_etag(f"{etag}-{encoding}")
            if request.method in ("GET", "HEAD"):
                response.make_conditional(request)
        return response

    # ---- bodies --------------------------------------------------------------------------------

    def _deflater(self, level: int | None = None) -> Any:
        return zlib.compressobj(self.settings.gzip_level if level is None else level, zlib.DEFLATED, -zlib.MAX_WBITS)

    def _segment(self, part: bytes) -> bytes:
        """Raw deflate of one part, ended on a byte boundary and not final: splices anywhere."""
        deflater = self._deflater()
        return deflater.compress(part) + deflater.flush(zlib.Z_SYNC_FLUSH)

    def _gzip(self, parts: Iterable[bytes]) -> bytes:
        out = [GZIP_HEADER]
        crc, size = 0, 0
        running = None
        for part in parts:
            crc = zlib.crc32(part, crc)
            size += len(part)
            if len(part) >= SEGMENT_BYTES:
                if running is not None:
                    out.append(running.flush(zlib.Z_SYNC_FLUSH))
                    running = None
                out.append(self.parts.get(part, "gzip", self._segment))
                continue
            if running is None:
                running = self._deflater()
            out.append(running.compress(part))
        out.append((running if running is not None else self._deflater()).flush(zlib.Z_FINISH))
        out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        return b"".join(out)

    def _brotli(self, parts: list[bytes]) -> bytes:
        quality = self.settings.br_quality
        if len(parts) == 1 and len(parts[0]) >= SEGMENT_BYTES:
            return self.parts.get(parts[0], "br", lambda part: brotli.compress(part, quality=quality))
        return brotli.compress(b"".join(parts), quality=quality)

    # ---- files ---------------------------------------------------------------------------------

    def _compress_file(self, response: Response) -> Response:
        wrapper = response.response
        opened = getattr(wrapper, "file", None) or getattr(wrapper, "filelike", None)  # Werkzeug's, gunicorn's
        path = getattr(opened, "name", None)
        if opened is None or not isinstance(path, str) or response.status_code != 200:
            return response
        status = os.fstat(opened.fileno())
        if not self.settings.min_bytes <= status.st_size <= FILE_MAX_BYTES:
            return response
        encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
        if encoding is None:
            return response
        key = (path, status.st_mtime_ns, status.st_size, encoding)
        compressed = self.files.get(key)
        if compressed is None:
            opened.seek(0)
            compressed = _compress_whole(opened.read(), encoding)
            self.files.put(key, compressed)
        if hasattr(wrapper, "close"):
            wrapper.close()
        response.direct_passthrough = False
        response.set_data(compressed)
        return self._encoded(response, encoding)


def _compress_whole(data: bytes, encoding: str) -> bytes:
    """A file, once: the best level (brotli 11 would hold the process for a third of a second on
    the 190 KB source map, so larger files get 5)."""
    if encoding == "br":
        quality = FILE_BR_QUALITY if len(data) <= FILE_BR_BEST_BYTES else FILE_BR_LARGE_QUALITY
        return brotli.compress(data, quality=quality)
    deflater = zlib.compressobj(FILE_GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return deflater.compress(data) + deflater.flush()


def compression_of(app: Flask) -> Compression:
    return app.extensions["sinergi.compression"]


def init_app(app: Flask) -> None:
    """Register the hook. after_request hooks run last-registered first: register it before the
    hooks that must see the uncompressed body (idempotency stores it) and after Server-Timing's,
    which then counts the compression."""
    compression = Compression(Settings.from_config(app.config))
    app.extensions["sinergi.compression"] = compression
    app.after_request(compression.after_request)
