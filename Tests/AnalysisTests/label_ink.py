#!/usr/bin/env python3
"""Checks that a picture's labels draw inside the boxes it declares for them.

Usage: label_ink.py PICTURE.png BOXES.txt

PICTURE.png is a rendering (by rsvg-convert) of a timeline SVG with everything but its labels
taken out, on a transparent background; BOXES.txt has one declared box per line, "x0 y0 x1 y1".
Prints "ok N" (N: inked pixels seen) when every inked pixel lies within a box (give or take a
pixel of anti-aliasing), else the pixels outside and exits 1. The standard library only: the
PNG is decoded here (8-bit RGBA or RGB, non-interlaced, as rsvg-convert writes).
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or kind not in (2, 6) or interlace != 0:
                raise SystemExit(f"{path}: depth {depth}, colour type {kind}, interlace {interlace}: not handled")
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 4 if kind == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        method, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if method == 1:
                line[i] = (line[i] + a) & 255
            elif method == 2:
                line[i] = (line[i] + b) & 255
            elif method == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif method == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        previous = line
    return width, height, channels, rows


def main():
    width, height, channels, rows = read_png(sys.argv[1])
    boxes = [tuple(float(v) for v in line.split()) for line in open(sys.argv[2]) if line.strip()]
    slack = 1.0
    inked, outside = 0, []
    for y in range(height):
        row = rows[y]
        for x in range(width):
            alpha = row[x * channels + 3] if channels == 4 else 255 - min(row[x * 3:x * 3 + 3])
            if alpha < 128:
                continue
            inked += 1
            # The pixel's square, from (x, y) to (x + 1, y + 1).
            if not any(x + 1 > x0 - slack and x < x1 + slack and y + 1 > y0 - slack and y < y1 + slack for x0, y0, x1, y1 in boxes):
                outside.append((x, y))
    if outside:
        print(f"{len(outside)} of {inked} inked pixels lie outside every box, first: {outside[:10]}")
        sys.exit(1)
    print(f"ok {inked}")


main()
