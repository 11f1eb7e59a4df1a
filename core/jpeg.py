"""A structural JPEG check in pure Python: the markers from SOI through to EOI, not a decoder.

Enough to refuse what merely starts with the JPEG magic bytes (a renamed PDF, a truncated upload, a
JPEG with something glued on): SOI, then well-formed marker segments that each fit in the file, a
frame header (SOF) before the first scan (SOS), entropy-coded data that ends at a marker, and EOI
as the last two bytes.
"""

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
# start of frame: C0-CF except DHT (C4), JPG (C8) and DAC (CC)
SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# markers without a length: RST0-7 and TEM
STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}


def is_jpeg(data: bytes) -> bool:
    size = len(data)
    if size < 4 or data[0] != 0xFF or data[1] != SOI:
        return False
    pos, seen_frame, seen_scan = 2, False, False
    while True:
        if pos >= size or data[pos] != 0xFF:
            return False
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            return False
        marker = data[pos]
        pos += 1
        if marker == EOI:
            return seen_scan and pos == size
        if marker in STANDALONE:
            continue
        if marker in (SOI, 0x00):
            return False
        if pos + 2 > size:
            return False
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            return False
        if marker in SOF:
            if length < 8 or int.from_bytes(data[pos + 3 : pos + 5], "big") == 0:
                return False  # a frame needs a header and a width (the height may come later, DNL)
            seen_frame = True
        pos += length
        if marker == SOS:
            if not seen_frame:
                return False
            seen_scan = True
            pos = _end_of_entropy_coded_data(data, pos)
            if pos < 0:
                return False


def _end_of_entropy_coded_data(data: bytes, pos: int) -> int:
    """The offset of the marker after a scan's data (0xFF00 is a stuffed byte, 0xFFD0-D7 a restart)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return -1
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        if following == 0xFF:  # fill before a marker
            pos += 1
            continue
        return pos
