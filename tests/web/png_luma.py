#!/usr/bin/env python3
"""tests/web/png_luma.py FILE [ROWS]: mean luminance (0-255) of the first ROWS
rows of an 8-bit non-interlaced PNG (what Chromium writes), with only the
standard library.  Used by test_browser.sh to tell a dark page from a light one."""
import struct
import sys
import zlib


def rows(path, want):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or interlace != 0 or ctype not in (2, 6):
        raise ValueError('unsupported PNG layout')
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * min(want, h))
    prev = bytearray(stride)
    out = []
    for r in range(min(want, h)):
        f = raw[r * (stride + 1)]
        line = bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        out.append(line)
        prev = line
    return out, bpp


def main():
    lines, bpp = rows(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8)
    total = count = 0
    for line in lines:
        for i in range(0, len(line), bpp):
            total += 0.299 * line[i] + 0.587 * line[i + 1] + 0.114 * line[i + 2]
            count += 1
    print(int(total / count))


main()
