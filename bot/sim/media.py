"""Small, valid placeholder media built with the standard library only.

The simulator serves these instead of real renders, so every file must survive a real
decoder or uploader: PNG chunks carry correct CRCs, Ogg pages carry the Ogg CRC, MP3
frames have valid headers, the MP4 has a proper box tree. Nothing here touches disk.

Each file says it is simulated where its format keeps a note (:data:`SIMULATED_NOTE`): a
PNG ``tEXt`` Comment, a JPEG comment segment, an ID3v1 tag after the MP3 frames, an Opus
comment, a WAV ``LIST/INFO`` comment; the MP4's media data is the note itself.

Other code may import these builders for its own tests (e.g. a fake Telegram upload)::

    make_png(64, 64, (255, 0, 0))   make_jpeg(64, 64, (255, 0, 0))
    make_mp3()   make_ogg_opus()   make_mp4()   make_wav()
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib

RGB = tuple[int, int, int]

SIMULATED_NOTE = "SIMULATED by the relaybot relay simulator; not made by an AI"
_NOTE = SIMULATED_NOTE.encode("ascii")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 256

# MPEG-1 Layer III, no CRC, 128 kbit/s, 44.1 kHz, mono: 417-byte frames of 1152 samples.
_MP3_HEADER = b"\xff\xfb\x90\xc0"
_MP3_FRAME_BYTES = 417

# A 20 ms CELT-only fullband mono Opus packet that decodes to silence (the same
# three bytes Discord sends as its silence frame).
_OPUS_SILENCE = b"\xf8\xff\xfe"
_OPUS_FRAME_SAMPLES = 960  # 20 ms at 48 kHz
_OPUS_PRE_SKIP = 312


def colour_for(text: str) -> RGB:
    """A stable, reasonably bright colour derived from ``text`` (same text, same colour)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return (64 + digest[0] % 192, 64 + digest[1] % 192, 64 + digest[2] % 192)


def scaled_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """Scale ``width`` x ``height`` down so the longer side is at most ``max_side``."""
    width, height = max(1, width), max(1, height)
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    return max(1, round(width * max_side / longest)), max(1, round(height * max_side / longest))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


# A task's previews share their colour and size, seconds apart; a solid PNG is ~1.3 kB.
@functools.lru_cache(maxsize=4096)
def make_png(width: int = MAX_SIDE, height: int = MAX_SIDE, rgb: RGB = (128, 128, 128)) -> bytes:
    """A solid-colour 8-bit RGB PNG of exactly ``width`` x ``height`` pixels."""
    if width < 1 or height < 1:
        raise ValueError("PNG dimensions must be positive")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width  # filter byte 0 (None) + pixels
    pixels = zlib.compress(row * height, 1)  # fast: benchmarks fetch thousands
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"tEXt", b"Comment\x00" + _NOTE)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


# Baseline JPEG: 4:4:4 YCbCr, every quantiser 1. A solid colour needs only each block's
# DC term, so one DC table (ITU T.81 Annex K.3, luminance) and an AC table holding just
# end-of-block (code "0") encode any size.
_JPEG_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_JPEG_DC_VALUES = bytes(range(12))
_JPEG_AC_BITS = (1,) + (0,) * 15
_JPEG_EOB = "0"


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _huffman_codes(bits: tuple[int, ...], values: bytes) -> dict[int, tuple[int, int]]:
    """symbol → (code, length), the canonical assignment of T.81 Annex C."""
    codes: dict[int, tuple[int, int]] = {}
    code, index = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[index]] = (code, length)
            code, index = code + 1, index + 1
        code <<= 1
    return codes


def make_jpeg(width: int = MAX_SIDE, height: int = MAX_SIDE, rgb: RGB = (128, 128, 128)) -> bytes:
    """A solid-colour baseline JPEG (JFIF) of exactly ``width`` x ``height`` pixels."""
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise ValueError("JPEG dimensions must be 1-65535")
    r, g, b = rgb
    planes = (
        0.299 * r + 0.587 * g + 0.114 * b,
        128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
        128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
    )
    # The DC coefficient of an 8x8 block of constant value v is 8 * (v - 128).
    first_dcs = [round(8 * (min(255.0, max(0.0, v)) - 128)) for v in planes]
    dc_codes = _huffman_codes(_JPEG_DC_BITS, _JPEG_DC_VALUES)

    def block(diff: int) -> str:
        size = abs(diff).bit_length()
        code, length = dc_codes[size]
        bits = format(code, f"0{length}b")
        if size:
            bits += format(diff if diff > 0 else diff + (1 << size) - 1, f"0{size}b")
        return bits + _JPEG_EOB

    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    # The first block of each component codes its DC; later ones repeat the prediction.
    first = "".join(block(dc) for dc in first_dcs)
    bits = first + "".join(block(0) for _ in first_dcs) * (blocks - 1)
    bits += "1" * (-len(bits) % 8)  # fill the last byte with 1-bits (T.81 F.1.2.3)
    scan = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    components = b"".join(bytes((cid, 0x11, 0)) for cid in (1, 2, 3))
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00" + struct.pack(">HH", 1, 1) + b"\x00\x00")
        + _jpeg_segment(0xFE, _NOTE)
        + _jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
        + _jpeg_segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + components)
        + _jpeg_segment(0xC4, b"\x00" + bytes(_JPEG_DC_BITS) + _JPEG_DC_VALUES
                        + b"\x10" + bytes(_JPEG_AC_BITS) + b"\x00")
        + _jpeg_segment(0xDA, bytes((3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0)))
        + scan
        + b"\xff\xd9"
    )


def make_mp3(frames: int = 40) -> bytes:
    """``frames`` silent MPEG-1 Layer III frames (40 frames ≈ 1 second)."""
    # Side info and main data all zero: part2_3_length 0 means every granule is silence.
    frame = _MP3_HEADER + bytes(_MP3_FRAME_BYTES - len(_MP3_HEADER))
    return frame * max(1, frames) + id3v1_tag("SIMULATED audio", "relaybot simulator",
                                              b"SIMULATED, not made by an AI")


def id3v1_tag(title: str, artist: str, comment: bytes) -> bytes:
    """The 128-byte ID3v1 tag players read from the end of an MP3 (genre: none)."""
    def field(value: bytes, size: int) -> bytes:
        return value[:size].ljust(size, b"\x00")

    return (b"TAG" + field(title.encode("latin-1"), 30) + field(artist.encode("latin-1"), 30)
            + field(b"relaybot", 30) + b"2024" + field(comment, 30) + b"\xff")


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
        table.append(crc & 0xFFFFFFFF)
    return table


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, no reflection, init 0."""
    table = _ogg_crc_table()
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_page(
    packets: list[bytes], *, serial: int, sequence: int, granule: int, flags: int
) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing.extend(b"\xff" * (len(packet) // 255))
        lacing.append(len(packet) % 255)
    if len(lacing) > 255:
        raise ValueError("too many packets for one Ogg page")
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing))
    page = bytearray(header + bytes(lacing) + b"".join(packets))
    struct.pack_into("<I", page, 22, ogg_crc(bytes(page)))
    return bytes(page)


def make_ogg_opus(packets: int = 50, serial: int = 0x51A1) -> bytes:
    """An Ogg/Opus stream (OpusHead, OpusTags, ``packets`` x 20 ms of silence), mono 48 kHz."""
    head = struct.pack("<8sBBHIhB", b"OpusHead", 1, 1, _OPUS_PRE_SKIP, 48000, 0, 0)
    vendor = b"relaybot simulated relay"
    comment = b"COMMENT=" + _NOTE
    tags = (b"OpusTags" + struct.pack("<I", len(vendor)) + vendor
            + struct.pack("<II", 1, len(comment)) + comment)
    count = max(1, packets)
    # RFC 7845: granule counts every decoded sample, pre-skip included, so the last
    # page's granule is just the packets' total; playback length is granule - pre-skip.
    granule = count * _OPUS_FRAME_SAMPLES
    return (
        _ogg_page([head], serial=serial, sequence=0, granule=0, flags=0x02)
        + _ogg_page([tags], serial=serial, sequence=1, granule=0, flags=0x00)
        + _ogg_page([_OPUS_SILENCE] * count, serial=serial, sequence=2, granule=granule, flags=0x04)
    )


def make_wav(seconds: float = 1.0, sample_rate: int = 16000) -> bytes:
    """A mono 16-bit PCM WAV file of silence."""
    data = bytes(int(seconds * sample_rate) * 2)
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    note = _NOTE + b"\x00" * (2 - len(_NOTE) % 2)  # NUL-terminated, padded to even
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(note)) + note
    body += b"LIST" + struct.pack("<I", len(info)) + info
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def make_mp4(duration_ms: int = 1000) -> bytes:
    """A minimal ISO-BMFF file: ``ftyp``, ``moov`` (with a complete ``mvhd``), ``mdat``."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, 1000, duration_ms)  # version/flags, times, scale, dur
        + struct.pack(">IH10x", 0x00010000, 0x0100)  # rate 1.0, volume 1.0, reserved
        + matrix
        + bytes(24)  # pre_defined
        + struct.pack(">I", 2),  # next_track_ID
    )
    moov = _box(b"moov", mvhd)
    mdat = _box(b"mdat", _NOTE)
    return ftyp + moov + mdat


def iter_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split top-level ISO-BMFF boxes into ``(kind, payload)`` pairs (for checks and tests)."""
    boxes = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size < 8 or offset + size > len(data):
            raise ValueError(f"bad box size {size} at {offset}")
        boxes.append((kind, data[offset + 8 : offset + size]))
        offset += size
    if offset != len(data):
        raise ValueError("trailing bytes after the last box")
    return boxes
