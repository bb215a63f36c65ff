#!/usr/bin/env python3
"""A Sluice dataset reader written from docs/FORMAT.md alone (standard library only).

It shares no code with the Java implementation, so the Java tests run it to check that what the
Java writer produces is what the specification says. zstd values are decompressed with the `zstd`
command-line tool.

Usage: sluice_reader.py DATASET_DIR
Prints one JSON object: {"version", "fields": [...], "splits": {name: [[value, ...] per sample]}}
where each value is the hex of its (decompressed) bytes. Exits 1 with a message on any violation.
"""
import json
import os
import re
import struct
import subprocess
import sys

HEADER = 64
ENTRY = 32
DTYPES = {"uint8": (1, 1), "int8": (2, 1), "int16": (3, 2), "int32": (4, 4), "int64": (5, 8),
          "float16": (6, 2), "bfloat16": (7, 2), "float32": (8, 4), "float64": (9, 8),
          "bytes": (10, 1), "string": (11, 1), "uint16": (12, 2), "uint32": (13, 4), "uint64": (14, 8)}
COMPRESSION = {"none": 0, "zstd": 1}


class Bad(Exception):
    pass


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)


def align(v):
    return (v + 63) // 64 * 64


def integer(v, what):
    if isinstance(v, bool) or not isinstance(v, int):
        raise Bad(f"{what} is {v!r}, not an integer")
    return v


def safe_key(key):
    if not key or any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in key):
        return False
    return all(seg and not seg.startswith(".") for seg in key.split("/"))


def read_manifest(root):
    m = json.load(open(os.path.join(root, "manifest.json"), encoding="utf-8"))
    if m.get("format") != "sluice-dataset":
        raise Bad("format is not sluice-dataset")
    version = m["version"]
    mm = re.fullmatch(r"([0-9]+)\.([0-9]+)", version)
    if not mm or int(mm.group(1)) != 1:
        raise Bad(f"version {version!r} is not 1.x")
    fields = []
    for f in m["fields"]:
        code, size = DTYPES[f["dtype"]]
        shape = [integer(d, "shape") for d in f["shape"]]
        variable = shape == [-1]
        if not variable and any(d < 1 for d in shape):
            raise Bad(f"field {f['name']}: bad shape {shape}")
        if f["dtype"] in ("bytes", "string") and not variable:
            raise Bad(f"field {f['name']}: {f['dtype']} must be variable")
        n = 1
        for d in shape:
            n *= d
        fields.append({"name": f["name"], "code": code, "size": size, "rank": len(shape),
                       "variable": variable, "sample_bytes": 0 if variable else n * size,
                       "compression": COMPRESSION[f.get("compression", "none")]})
    for split in m["splits"].values():
        for sh in split["shards"]:
            if not safe_key(sh["key"]):
                raise Bad(f"unsafe key {sh['key']!r}")
            if integer(sh["samples"], "samples") < 1:
                raise Bad(f"{sh['key']}: empty shard")
            if not re.fullmatch(r"[0-9a-f]{8}", sh["crc32c"]):
                raise Bad(f"{sh['key']}: crc32c {sh['crc32c']!r}")
    return m, fields


def unzstd(frame, where):
    r = subprocess.run(["zstd", "-d", "-c", "-q"], input=frame, capture_output=True)
    if r.returncode != 0:
        raise Bad(f"{where}: zstd frame does not decompress: {r.stderr.decode().strip()}")
    return r.stdout


def frame_content_size(frame):
    # RFC 8878 frame header: magic, descriptor, optional window/dictionary id, then the content size
    if len(frame) < 5 or frame[:4] != b"\x28\xb5\x2f\xfd":
        return None
    fhd = frame[4]
    fcs_flag, single, did_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
    pos = 5 + (0 if single else 1) + [0, 1, 2, 4][did_flag]
    n = [1 if single else 0, 2, 4, 8][fcs_flag]
    if n == 0:
        return None
    v = int.from_bytes(frame[pos:pos + n], "little")
    return v + 256 if n == 2 else v


def read_shard(path, sh, fields):
    data = open(path, "rb").read()
    where = sh["key"]
    if len(data) != sh["bytes"]:
        raise Bad(f"{where}: {len(data)} bytes, manifest says {sh['bytes']}")
    if data[:8] != b"SLUICESH" or struct.unpack_from("<H", data, 8)[0] != 1:
        raise Bad(f"{where}: bad magic or major")
    nf, ns, index_bytes, data_offset, shard_bytes = struct.unpack_from("<IQQQQ", data, 12)
    end = HEADER + index_bytes
    crc = crc32c(data[end - index_bytes:end], crc32c(data[:52]))
    if crc != struct.unpack_from("<I", data, 52)[0]:
        raise Bad(f"{where}: header CRC")
    if nf != len(fields) or ns != sh["samples"] or shard_bytes != sh["bytes"]:
        raise Bad(f"{where}: counts disagree with the manifest")
    tabled = [f for f in fields if f["variable"] or f["compression"]]
    if index_bytes != ENTRY * nf + 8 * (ns + 1) * len(tabled) or data_offset != align(end):
        raise Bad(f"{where}: index size or data offset")
    table_at = HEADER + ENTRY * nf
    expect = data_offset
    columns = []
    for k, f in enumerate(fields):
        code, comp, rank, _, sample_bytes, sec_off, sec_len = struct.unpack_from("<BBHIQQQ", data, HEADER + ENTRY * k)
        if (code, comp, rank, sample_bytes) != (f["code"], f["compression"], f["rank"], f["sample_bytes"]):
            raise Bad(f"{where}: field {f['name']} disagrees with the manifest")
        if sec_off != expect or sec_off + sec_len > shard_bytes:
            raise Bad(f"{where}: field {f['name']} section out of place")
        expect = align(sec_off + sec_len) if k + 1 < nf else sec_off + sec_len
        values = []
        if f["variable"] or f["compression"]:
            off = struct.unpack_from(f"<{ns + 1}Q", data, table_at)
            table_at += 8 * (ns + 1)
            if off[0] != 0 or off[-1] != sec_len or any(a > b for a, b in zip(off, off[1:])):
                raise Bad(f"{where}: field {f['name']} offsets")
            for i in range(ns):
                stored = data[sec_off + off[i]:sec_off + off[i + 1]]
                if f["compression"]:
                    size = frame_content_size(stored) if f["variable"] else f["sample_bytes"]
                    if size is None:
                        raise Bad(f"{where}: field {f['name']} sample {i}: frame records no content size")
                    value = unzstd(stored, where)
                    if len(value) != size:
                        raise Bad(f"{where}: field {f['name']} sample {i}: {len(value)} bytes, expected {size}")
                else:
                    value = stored
                if len(value) % f["size"]:
                    raise Bad(f"{where}: field {f['name']} sample {i}: not whole elements")
                if f["code"] == DTYPES["string"][0]:
                    value.decode("utf-8")  # raises on invalid UTF-8
                values.append(value)
        else:
            if sec_len != ns * sample_bytes:
                raise Bad(f"{where}: field {f['name']} section length")
            values = [data[sec_off + i * sample_bytes:sec_off + (i + 1) * sample_bytes] for i in range(ns)]
        columns.append(values)
    if expect != shard_bytes:
        raise Bad(f"{where}: bytes after the last section")
    if crc32c(data) != int(sh["crc32c"], 16):
        raise Bad(f"{where}: CRC-32C")
    return [[columns[k][i].hex() for k in range(nf)] for i in range(ns)]


def main():
    root = sys.argv[1]
    try:
        m, fields = read_manifest(root)
        out = {"version": m["version"], "fields": [f["name"] for f in fields], "splits": {}}
        for name, split in m["splits"].items():
            rows = []
            for sh in split["shards"]:
                rows.extend(read_shard(os.path.join(root, *sh["key"].split("/")), sh, fields))
            out["splits"][name] = rows
    except (Bad, KeyError, ValueError, struct.error) as e:
        print(f"sluice_reader: {root}: {e}", file=sys.stderr)
        sys.exit(1)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
