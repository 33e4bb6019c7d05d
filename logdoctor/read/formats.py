"""What an input's bytes are, told by the bytes themselves: compressed, and in which text encoding.

A log reaches logdoctor under any name: `docker logs x | zstd > log.zst`, a `.log` that a Windows
PowerShell 5.1 redirect (`docker logs x > log.txt`) wrote as UTF-16, an xz attachment renamed by a
mail client. A name says nothing reliable, so each input is recognised once, at its start: the magic
bytes of gzip, bzip2, xz, zstd and zip, then (on what they decompress to) a UTF-16 byte-order mark
or the NUL pattern of UTF-16 text. UTF-16 is transcoded to UTF-8 as it streams, so every later step
(the line reader and the block scanner past the first megabyte alike) sees UTF-8.
"""

from __future__ import annotations

import codecs
import io
import zlib
from typing import BinaryIO

HEAD_BYTES = 4096  # what is looked at to recognise an input: magic bytes, then the encoding
_CHUNK = 1 << 16  # bytes read at a time from a stream that is decoded or decompressed

# Magic bytes → the compression's name, longest first.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\x1f\x8b", "gzip"),
)

# What a damaged stream raises while it is read (gzip, bzip2; stream_errors adds the other kinds'):
# the report of what was read is kept and the damage reported.
STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error)


class FormatError(Exception):
    """An input that is recognised but cannot be read (one line for the user)."""


def compression_of(head: bytes) -> str | None:
    """The compression whose magic bytes start `head`, or None for anything else."""
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def stream_errors(kind: str) -> tuple[type[BaseException], ...]:
    """What reading a stream compressed with `kind` ("" for none) raises when its data is damaged.
    The decompressors are imported only for an input that needs one (they cost start-up time)."""
    if kind == "xz":
        import lzma

        return (*STREAM_ERRORS, lzma.LZMAError)
    if kind == "zstd":
        import zstandard

        return (*STREAM_ERRORS, zstandard.ZstdError)
    if kind == "zip":
        import zipfile

        return (*STREAM_ERRORS, zipfile.BadZipFile)
    if kind == "bzip2":  # read again after a damaged block (peek_head): "Invalid sequence of commands…"
        return (*STREAM_ERRORS, RuntimeError)
    return STREAM_ERRORS


def decompressed(kind: str, stream: BinaryIO, seekable: bool) -> BinaryIO:
    """A stream of what `stream` (compressed with `kind`) holds. A zip archive must hold one file and
    be seekable (its directory is at its end): an archive on a pipe or of many files is refused."""
    if kind == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File(stream)  # type: ignore[return-value]
    if kind == "xz":
        import lzma

        return lzma.LZMAFile(stream)  # type: ignore[return-value]
    if kind == "zstd":
        return io.BufferedReader(_ZstdFrames(stream))  # type: ignore[return-value]
    import zipfile

    if not seekable:
        raise FormatError("a zip archive cannot be read from a pipe: unzip it, or give its path")
    try:
        archive = zipfile.ZipFile(stream)
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:  # "zip file version 23.2"
        raise FormatError(f"a broken zip archive ({error})") from None
    if len(members) != 1:
        raise FormatError(f"a zip archive of {len(members)} files: extract the log and give its path")
    try:  # buffered again: ZipExtFile.readline(limit) can return more than `limit` after a long line
        return io.BufferedReader(archive.open(members[0]))  # type: ignore[arg-type, return-value]
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:  # encrypted, unknown method
        raise FormatError(f"the zip archive's file cannot be read ({error})") from None


def utf16_codec(head: bytes) -> str | None:
    """The UTF-16 codec `head` is written in, or None when it is not UTF-16.

    A log is mostly ASCII, and ASCII in UTF-16 is a NUL beside every character: at odd offsets in
    little-endian, at even ones in big-endian. So a quarter of the character pairs must have a NUL
    on one side and almost none on the other; a byte-order mark alone is not enough (random bytes
    and mangled Latin-1 start with \\xff\\xfe too), but it decides the byte order where it is."""
    body = head[2:] if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else head
    pairs = len(body) // 2
    if pairs < 4:
        return None
    nul_even = body[0:pairs * 2:2].count(0)
    nul_odd = body[1:pairs * 2:2].count(0)
    little = nul_odd >= pairs / 4 and nul_even <= pairs / 16
    big = nul_even >= pairs / 4 and nul_odd <= pairs / 16
    if (head.startswith(codecs.BOM_UTF16_LE) and little) or (head.startswith(codecs.BOM_UTF16_BE) and big):
        return "utf-16"  # the codec reads the mark and drops it
    if little:
        return "utf-16-le"
    return "utf-16-be" if big else None


class _Produced(io.RawIOBase):
    """A readable raw stream whose bytes `_produce` makes a chunk at a time (None at the end); wrapped
    in io.BufferedReader, it gives the bounded `readline` and block `read` the line reader uses."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = b""
        self._ended = False

    def _produce(self) -> bytes | None:
        raise NotImplementedError

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        while not self._pending and not self._ended:
            produced = self._produce()
            self._ended = produced is None
            self._pending = produced or b""
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


class Utf8Transcoder(_Produced):
    """The UTF-8 bytes of a UTF-16 stream, decoded incrementally (invalid pairs become U+FFFD)."""

    def __init__(self, stream: BinaryIO, codec: str) -> None:
        super().__init__()
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(codec)(errors="replace")

    def _produce(self) -> bytes | None:
        chunk = self._stream.read(_CHUNK)
        text = self._decoder.decode(chunk, final=not chunk)
        return text.encode("utf-8") if chunk or text else None

    def close(self) -> None:
        self._stream.close()
        super().close()


class _ZstdFrames(_Produced):
    """What a zstd stream holds, frame after frame (`zstd` of a file written in pieces is several).
    zstandard's own stream reader ends quietly where a frame is cut; this one raises EOFError there,
    as gzip, bz2 and lzma do, so that a truncated file is reported."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        import zstandard

        self._stream = stream
        self._new_frame = zstandard.ZstdDecompressor().decompressobj
        self._frame = self._new_frame()
        self._in_frame = False  # input of the current frame was seen and its end not yet

    def _produce(self) -> bytes | None:
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            if self._in_frame:
                raise EOFError("zstd frame ends before its end marker")
            return None
        produced = []
        while chunk:
            produced.append(self._frame.decompress(chunk))
            self._in_frame = not self._frame.eof
            if not self._frame.eof:
                break
            chunk = self._frame.unused_data
            self._frame = self._new_frame()
        return b"".join(produced)


class Prefixed(_Produced):
    """`head` (already read from `rest` to recognise it) followed by the rest of `rest`: a pipe cannot
    be rewound. `rest_ended`: the head is all there was. Closing it leaves `rest` open (stdin)."""

    def __init__(self, head: bytes, rest: BinaryIO, rest_ended: bool) -> None:
        super().__init__()
        self._head: bytes | None = head
        self._rest = rest
        self._rest_ended = rest_ended

    def _produce(self) -> bytes | None:
        if self._head is not None:
            head, self._head = self._head, None
            return head
        if self._rest_ended:
            return None
        read = getattr(self._rest, "read1", self._rest.read)  # what is there now, not a full chunk: a live pipe
        return read(_CHUNK) or None

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if self._head is None and not self._pending and not self._rest_ended:  # straight from the pipe
            readinto = getattr(self._rest, "readinto1", None) or self._rest.readinto  # type: ignore[attr-defined]
            return readinto(buffer)
        return super().readinto(buffer)


def read_head(stream: BinaryIO) -> tuple[bytes, bool]:
    """The first HEAD_BYTES of `stream` (fewer at its end) and whether it ended there. A terminal's
    Ctrl-D ends one read, not the terminal: once seen, the stream must not be read again."""
    if isinstance(stream, io.BufferedIOBase):  # its read(n) returns fewer than n bytes only at the end
        head = stream.read(HEAD_BYTES)
        return head, len(head) < HEAD_BYTES
    head = b""
    while len(head) < HEAD_BYTES:  # a raw stream returns what one system call gave
        chunk = stream.read(HEAD_BYTES - len(head))
        if not chunk:
            return head, True
        head += chunk
    return head, False


def peek_head(stream: BinaryIO, kind: str) -> bytes:
    """The start of a stream decompressed from `kind`, left unread; empty when it is already broken
    there (the error is met again, and reported, when the stream is read)."""
    try:
        return stream.peek(HEAD_BYTES)[:HEAD_BYTES]  # type: ignore[attr-defined]
    except stream_errors(kind):
        return b""
