"""The placeholder media must be real files: decoders and uploaders check these bytes."""

from __future__ import annotations

import struct
import zlib

import aiohttp

from bot.sim import SimRelay, media


def parse_png(data: bytes) -> tuple[int, int, bytes]:
    """Return (width, height, first pixel) after checking the signature and every chunk CRC."""
    assert data.startswith(media.PNG_SIGNATURE)
    offset = len(media.PNG_SIGNATURE)
    chunks: dict[bytes, bytes] = {}
    idat = b""
    while offset < len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", data, offset + 8 + length)
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, kind
        chunks[kind] = payload
        if kind == b"IDAT":
            idat += payload
        offset += 12 + length
    assert list(chunks)[-1] == b"IEND"
    width, height, depth, colour_type = struct.unpack_from(">IIBB", chunks[b"IHDR"])
    assert (depth, colour_type) == (8, 2)
    pixels = zlib.decompress(idat)
    assert len(pixels) == height * (1 + 3 * width)
    return width, height, pixels[1:4]


def _huffman(bits: bytes, values: bytes) -> dict[tuple[int, int], int]:
    table: dict[tuple[int, int], int] = {}
    code, index = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            table[(length, code)] = values[index]
            code, index = code + 1, index + 1
        code <<= 1
    return table


def parse_jpeg(data: bytes) -> tuple[int, int, tuple[int, int, int]]:
    """(width, height, RGB of the first 8x8 block): walks every segment and Huffman-decodes
    every block of a baseline 4:4:4 scan, like a decoder would (DC terms only: solid
    images carry no AC terms, quantiser 1)."""
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")
    pos, tables, size, quant = 2, {}, (0, 0), b""
    while data[pos + 1] != 0xDA:
        marker, length = data[pos + 1], struct.unpack_from(">H", data, pos + 2)[0]
        body = data[pos + 4 : pos + 2 + length]
        if marker == 0xC0:
            height, width, components = struct.unpack_from(">HHB", body, 1)
            assert components == 3 and body[6:] == b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
            size = (width, height)
        elif marker == 0xC4:
            while body:
                count = sum(body[1:17])
                tables[body[0]] = _huffman(body[1:17], body[17 : 17 + count])
                body = body[17 + count :]
        elif marker == 0xDB:
            quant = body[1:]
        pos += 2 + length
    assert quant == bytes([1] * 64)
    scan = data[pos + 2 + struct.unpack_from(">H", data, pos + 2)[0] : -2]
    assert b"\xff" not in scan.replace(b"\xff\x00", b"")
    bits = "".join(format(byte, "08b") for byte in scan.replace(b"\xff\x00", b"\xff"))
    cursor = 0

    def symbol(table: dict[tuple[int, int], int]) -> int:
        nonlocal cursor
        for length in range(1, 17):
            key = (length, int(bits[cursor : cursor + length], 2))
            if key in table:
                cursor += length
                return table[key]
        raise AssertionError(f"no Huffman code at bit {cursor}")

    dcs = [0, 0, 0]
    first: list[int] = []
    for _ in range(((size[0] + 7) // 8) * ((size[1] + 7) // 8)):
        for component in range(3):
            category = symbol(tables[0x00])
            raw = int(bits[cursor : cursor + category], 2) if category else 0
            cursor += category
            if category and raw < 1 << (category - 1):
                raw -= (1 << category) - 1
            dcs[component] += raw
            assert symbol(tables[0x10]) == 0  # end of block: no AC terms
        first = first or list(dcs)
    assert set(bits[cursor:]) <= {"1"} and len(bits) - cursor < 8  # only 1-bit padding left
    y, cb, cr = (dc / 8 + 128 for dc in first)
    rgb = (y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
           y + 1.772 * (cb - 128))
    red, green, blue = (max(0, min(255, round(c))) for c in rgb)
    return size[0], size[1], (red, green, blue)


def parse_ogg_pages(data: bytes) -> list[tuple[int, int, list[bytes]]]:
    """(header_type, granule, packets) per page, checking capture pattern and CRC."""
    pages = []
    offset = 0
    while offset < len(data):
        assert data[offset : offset + 4] == b"OggS"
        header_type = data[offset + 5]
        (granule,) = struct.unpack_from("<q", data, offset + 6)
        (crc,) = struct.unpack_from("<I", data, offset + 22)
        segments = data[offset + 26]
        lacing = data[offset + 27 : offset + 27 + segments]
        body_start = offset + 27 + segments
        end = body_start + sum(lacing)
        page = bytearray(data[offset:end])
        page[22:26] = b"\x00\x00\x00\x00"
        assert media.ogg_crc(bytes(page)) == crc
        packets, current, cursor = [], b"", body_start
        for size in lacing:
            current += data[cursor : cursor + size]
            cursor += size
            if size < 255:
                packets.append(current)
                current = b""
        pages.append((header_type, granule, packets))
        offset = end
    return pages


def test_png_has_requested_size_colour_and_valid_crcs() -> None:
    width, height, pixel = parse_png(media.make_png(40, 30, (10, 200, 30)))
    assert (width, height, pixel) == (40, 30, bytes([10, 200, 30]))


def test_jpeg_has_requested_size_and_colour() -> None:
    for rgb in ((10, 200, 30), (0, 0, 0), (255, 255, 255), (200, 31, 90)):
        width, height, pixel = parse_jpeg(media.make_jpeg(40, 30, rgb))
        assert (width, height) == (40, 30)
        assert all(abs(a - b) <= 2 for a, b in zip(pixel, rgb, strict=True)), (pixel, rgb)
    assert parse_jpeg(media.make_jpeg(1, 1, (9, 9, 9)))[:2] == (1, 1)
    assert len(media.make_jpeg(1024, 1024)) < 20_000


def test_large_sizes_are_scaled_down_keeping_the_aspect_ratio() -> None:
    assert media.scaled_size(1792, 1024) == (256, 146)
    assert media.scaled_size(100, 50) == (100, 50)


def test_mp3_is_a_run_of_valid_layer3_frames_tagged_as_simulated() -> None:
    data = media.make_mp3(frames=5)
    frames, tag = data[:-128], data[-128:]
    assert len(frames) == 5 * 417
    assert tag.startswith(b"TAGSIMULATED audio") and b"SIMULATED, not made by an AI" in tag
    for offset in range(0, len(frames), 417):
        header = int.from_bytes(data[offset : offset + 4], "big")
        assert header >> 21 == 0x7FF  # frame sync
        assert (header >> 19) & 3 == 3  # MPEG-1
        assert (header >> 17) & 3 == 1  # Layer III
        bitrate_kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128][(header >> 12) & 0xF]
        padding = (header >> 9) & 1
        assert 144 * bitrate_kbps * 1000 // 44100 + padding == 417


def test_ogg_opus_has_head_tags_and_audio_pages_with_correct_crcs() -> None:
    pages = parse_ogg_pages(media.make_ogg_opus(packets=10))
    assert len(pages) == 3
    (bos, _, head), (_, _, tags), (eos, granule, audio) = pages
    assert bos & 0x02 and eos & 0x04
    assert head[0].startswith(b"OpusHead") and head[0][9] == 1  # mono
    assert tags[0].startswith(b"OpusTags")
    assert tags[0].endswith(b"COMMENT=" + media.SIMULATED_NOTE.encode())
    assert len(audio) == 10 and all(p == b"\xf8\xff\xfe" for p in audio)
    assert struct.unpack_from("<H", head[0], 10)[0] == 312  # pre-skip
    assert granule == 10 * 960  # 20 ms packets at 48 kHz


def test_mp4_has_ftyp_moov_mvhd_and_mdat_boxes() -> None:
    boxes = media.iter_boxes(media.make_mp4(duration_ms=2500))
    assert [kind for kind, _ in boxes] == [b"ftyp", b"moov", b"mdat"]
    assert boxes[0][1].startswith(b"isom")
    (moov_children,) = [payload for kind, payload in boxes if kind == b"moov"]
    ((kind, mvhd),) = media.iter_boxes(moov_children)
    assert kind == b"mvhd" and len(mvhd) == 100
    timescale, duration = struct.unpack_from(">II", mvhd, 12)
    assert (timescale, duration) == (1000, 2500)


def test_wav_header_matches_its_data() -> None:
    data = media.make_wav(seconds=0.5, sample_rate=8000)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    assert struct.unpack_from("<I", data, 40)[0] == 8000  # 0.5 s x 8000 Hz x 2 bytes
    info = data[44 + 8000:]
    assert info[:4] == b"LIST" and info[8:16] == b"INFOICMT"
    assert info[20:].rstrip(b"\x00") == media.SIMULATED_NOTE.encode()


def test_images_and_video_say_they_are_simulated() -> None:
    note = media.SIMULATED_NOTE.encode()
    assert b"tEXtComment\x00" + note in media.make_png(4, 4)
    assert b"\xff\xfe" + struct.pack(">H", len(note) + 2) + note in media.make_jpeg(8, 8)
    assert media.iter_boxes(media.make_mp4())[-1] == (b"mdat", note)


async def test_media_urls_are_served_without_a_key(
    sim: SimRelay, session: aiohttp.ClientSession
) -> None:
    base = sim.base_url
    async with session.get(f"{base}/sim/media/image/ff0080/x.png?w=1024&h=512") as response:
        assert response.content_type == "image/png"
        assert parse_png(await response.read()) == (256, 128, bytes([255, 0, 128]))
    async with session.get(f"{base}/sim/media/image/ff0080/x.jpeg?w=2048&h=1024") as response:
        assert response.content_type == "image/jpeg"  # JPEGs stay tiny: up to 1024 px
        assert parse_jpeg(await response.read())[:2] == (1024, 512)
    async with session.get(f"{base}/sim/media/audio/clip.ogg") as response:
        assert response.content_type == "audio/ogg"
        assert parse_ogg_pages(await response.read())[0][2][0].startswith(b"OpusHead")
    async with session.get(f"{base}/sim/media/audio/clip.mp3") as response:
        assert response.content_type == "audio/mpeg"
        assert (await response.read())[:2] == b"\xff\xfb"
    async with session.get(f"{base}/sim/media/video/v.mp4") as response:
        assert response.content_type == "video/mp4"
        assert media.iter_boxes(await response.read())[0][0] == b"ftyp"
