"""A Plotly figure split for the browser: a small JSON template, and its arrays packed per run.

A slider move on the Playground changes one run. Sending the whole figure again resends every
run's arrays; here each group of traces (one run) keeps its arrays in a ``Blob`` of its own,
named by a hash of its bytes. The page sends each blob as an element of its own, so Streamlit
replaces a blob the browser already holds by a short reference (its message cache), and the
template, which names blobs by their hash, is all that changes for the runs that did not move.

- ``split(figure, groups)`` turns a figure (plain dicts, or a go.Figure) into a ``Split``: the
  template (the figure with every array of ``MIN_ARRAY`` or more values replaced by
  ``{"$ref": [blob id, name], ...}``, and every ``data:`` image lifted out), the blobs and the
  images (PNG bytes the page serves by URL, ``{"$img": k}`` in the template).
- ``pack``/``unpack``: a blob's bytes. Layout: 4 bytes (little-endian uint32) header length,
  the header (UTF-8 JSON: ``{"id", "arrays": {name: {"type", "offset", "length", ...}}}``, a
  narrow 2-D array as ``{"shape", "columns": [one such entry per column]}``, a wide one as one
  entry with its ``shape``), zero padding to 8 bytes,
  then each array, each starting at a multiple of 8 bytes.
- ``join(split)`` puts the arrays back: the figure as the browser draws it (for tests).

Encodings (``type``): "f4" float32 (coordinates, losses: 7 digits, more than a hover shows),
"f8" where a value does not fit float32 (a run about to diverge), "i4" int32, and "d2" for a
non-decreasing integer series (steps) with gaps below 65,536: uint16 differences after a first
value ``start``, half the bytes of int32. Pure (NumPy and JSON only).
"""
from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

MIN_ARRAY = 32  # arrays shorter than this stay in the template as JSON lists
COLUMNS = 4  # a 2-D array this narrow (customdata) is stored column by column, each with its own encoding
F4_MAX = float(np.finfo(np.float32).max)
_ALIGN = 8
_DTYPES = {"f4": np.float32, "f8": np.float64, "i4": np.int32, "d2": np.uint16}


@dataclass(frozen=True)
class Blob:
    """Arrays the browser keeps: ``id`` a hash of ``data`` (the packed bytes)."""
    id: str
    data: bytes


@dataclass(frozen=True)
class Split:
    """A figure for the browser: ``template`` (JSON-ready dict), its ``blobs`` and ``images``
    (``(mime type, bytes)``, referenced as ``{"$img": k}``)."""
    template: dict
    blobs: tuple
    images: tuple = ()

    @property
    def template_json(self) -> bytes:
        return dumps(self.template)

    @property
    def nbytes(self) -> int:
        """Bytes the browser receives when nothing is cached: template, blobs and images."""
        return len(self.template_json) + sum(len(b.data) for b in self.blobs) + sum(len(i[1]) for i in self.images)


# ----------------------------------------------------------------- JSON
def _plain(value):
    """numpy scalars and small arrays as JSON values (non-finite numbers are not allowed in a figure)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"split: {type(value).__name__} is not JSON serializable")


def dumps(tree) -> bytes:
    """Compact UTF-8 JSON; NaN and infinity are refused (a figure never holds them)."""
    return json.dumps(tree, default=_plain, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


# ----------------------------------------------------------------- one blob
def _encode(values: np.ndarray) -> tuple[np.ndarray, dict]:
    """(the bytes to store as an array, header fields) for ``values``."""
    a = np.asarray(values)
    if a.dtype.kind == "b":
        a = a.astype(np.int32)
    if a.dtype.kind == "f" and a.size and np.isfinite(a).all() and np.array_equal(a, np.floor(a)) \
            and a.min() >= 0 and a.max() < 2**31:
        a = a.astype(np.int64)  # steps stored as floats (a customdata column): exact as integers
    if a.dtype.kind in "iu":
        flat = a.ravel()
        if flat.size and flat.min() >= 0 and flat.max() < 2**31:
            gaps = np.diff(flat)
            if flat.size > 1 and gaps.min() >= 0 and gaps.max() < 2**16:
                return gaps.astype(np.uint16), {"type": "d2", "start": int(flat[0])}
            return flat.astype(np.int32), {"type": "i4"}
        a = a.astype(np.float64)
    a = np.asarray(a, dtype=np.float64).ravel()
    if not np.isfinite(a).all():
        raise ValueError("split: an array holds NaN or infinity; a figure must not")
    if a.size and np.abs(a).max() > F4_MAX:
        return a, {"type": "f8"}
    return a.astype(np.float32), {"type": "f4"}


def pack(arrays: dict) -> Blob:
    """``arrays`` ({name: 1-D or 2-D array}) as one Blob; the id hashes the encoded bytes.

    A 2-D array (n, k) of up to COLUMNS columns is stored column by column, each with its own
    encoding (a step column and a loss column of ``customdata``), a wider one (a contour's z) row
    by row; an array equal to one stored before points at its bytes."""
    entries, chunks, offset, seen = {}, [], 0, {}

    def store(values) -> dict:
        nonlocal offset
        stored, head = _encode(values)
        raw = stored.tobytes()
        known = seen.get((head["type"], head.get("start"), raw))
        if known is None:
            known = seen[(head["type"], head.get("start"), raw)] = offset
            chunks.append(raw + b"\0" * (-len(raw) % _ALIGN))
            offset += len(chunks[-1])
        return {**head, "offset": known, "length": int(stored.size)}

    for name, values in arrays.items():
        a = np.asarray(values)
        if a.ndim == 2 and a.shape[1] <= COLUMNS:
            entries[name] = {"shape": [int(n) for n in a.shape], "columns": [store(a[:, j]) for j in range(a.shape[1])]}
        elif a.ndim == 2:
            entries[name] = {**store(a.ravel()), "shape": [int(n) for n in a.shape]}
        else:
            entries[name] = store(a.ravel())
    body = b"".join(chunks)
    digest = hashlib.blake2b(dumps(entries) + body, digest_size=12).hexdigest()
    header = dumps({"id": digest, "arrays": entries})
    start = 4 + len(header)
    pad = -start % _ALIGN
    return Blob(digest, struct.pack("<I", len(header)) + header + b"\0" * pad + body)


def _read(data: bytes, base: int, head: dict) -> np.ndarray:
    raw = np.frombuffer(data, dtype=_DTYPES[head["type"]], count=head["length"], offset=base + head["offset"])
    if head["type"] == "d2":
        return head["start"] + np.concatenate([[0], np.cumsum(raw, dtype=np.int64)])
    return raw.astype(np.int64 if head["type"] == "i4" else np.float64)


def unpack(data: bytes) -> tuple[str, dict]:
    """``(id, {name: float64 or int64 array})``: what the browser reads from a blob's bytes."""
    (length,) = struct.unpack_from("<I", data, 0)
    header = json.loads(data[4:4 + length])
    base = 4 + length + (-(4 + length) % _ALIGN)
    out = {}
    for name, head in header["arrays"].items():
        if "columns" in head:
            out[name] = np.column_stack([_read(data, base, c) for c in head["columns"]]).reshape(head["shape"])
        else:
            out[name] = _read(data, base, head).reshape(head.get("shape", (-1,)))
    return header["id"], out


# ----------------------------------------------------------------- a figure
def _figure_dict(figure) -> dict:
    """Plain dicts of ``figure`` (a dict, or a go.Figure read in place: ``to_plotly_json`` would copy
    it and encode every array) without plotly.py's default template (the browser themes the figure)."""
    if hasattr(figure, "_data") and hasattr(figure, "_layout"):
        figure = {"data": figure._data, "layout": figure._layout}
    data = list(figure.get("data", ()))
    layout = {k: v for k, v in dict(figure.get("layout", {})).items() if k != "template"}
    return {"data": data, "layout": layout}


def _typed(spec: dict) -> np.ndarray:
    """Plotly 7's JSON form of a NumPy array (``{"dtype", "bdata", "shape"}``) as the array."""
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"])
    shape = spec.get("shape")
    return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array


def _lift(tree, found: dict, path: str):
    """``tree`` with each large array replaced by a marker; the arrays go into ``found`` by path."""
    if isinstance(tree, dict) and "bdata" in tree and "dtype" in tree:
        tree = _typed(tree)
    if isinstance(tree, dict):
        return {k: _lift(v, found, f"{path}.{k}") for k, v in tree.items()}
    if isinstance(tree, (list, tuple)) and len(tree) >= MIN_ARRAY and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in tree):
        tree = np.asarray(tree, dtype=np.float64)
    if isinstance(tree, np.ndarray) and tree.size >= MIN_ARRAY and tree.dtype.kind in "biuf":
        found[path] = tree
        return {"$ref": path}
    if isinstance(tree, (list, tuple)):
        return [_lift(v, found, f"{path}.{k}") for k, v in enumerate(tree)]
    return tree


def _images(layout: dict) -> tuple[dict, tuple]:
    """The layout with each ``data:`` image source replaced by ``{"$img": k}``, and the images."""
    images = []
    out = []
    for image in layout.get("images", ()):
        image = dict(image)
        source = str(image.get("source", ""))
        if source.startswith("data:") and ";base64," in source:
            mime, encoded = source[5:].split(";base64,", 1)
            images.append((mime, base64.b64decode(encoded)))
            image["source"] = {"$img": len(images) - 1}
        out.append(image)
    if not images:
        return layout, ()
    return {**layout, "images": out}, tuple(images)


_PACKED: OrderedDict = OrderedDict()  # (name, id of array) pairs -> (the arrays, kept alive; their Blob)
_PACKED_KEPT = 128
_PACKED_LOCK = threading.Lock()


def _pack_remembered(arrays: dict) -> Blob:
    """``pack(arrays)``, remembered for the same array objects: a run whose traces did not change
    (figures.memo shares them) keeps its blob without packing and hashing it again."""
    key = tuple((name, id(a)) for name, a in arrays.items())
    with _PACKED_LOCK:
        found = _PACKED.get(key)
        if found is not None:
            _PACKED.move_to_end(key)
            return found[1]
    blob = pack(arrays)
    with _PACKED_LOCK:
        _PACKED[key] = (tuple(arrays.values()), blob)
        while len(_PACKED) > _PACKED_KEPT:
            _PACKED.popitem(last=False)
    return blob


def split(figure, groups=None) -> Split:
    """``figure``'s arrays moved into one Blob per group of traces.

    ``groups``: per trace a group name (traces of one run share one), or None for
    ``legendgroup`` (traces without one share the group ""). A group's blob holds its traces'
    arrays named ``"<k>.<property path>"``, k counting the group's traces in order, so a group
    whose traces did not change packs to the same bytes and the same id.
    """
    d = _figure_dict(figure)
    names = [str(t.get("legendgroup", "")) for t in d["data"]] if groups is None else [str(g) for g in groups]
    if len(names) != len(d["data"]):
        raise ValueError(f"split: {len(names)} group names for {len(d['data'])} traces")
    counts: dict = {}
    found_by_group: dict = {}
    lifted = []
    for trace, group in zip(d["data"], names):
        k = counts.get(group, 0)
        counts[group] = k + 1
        found = found_by_group.setdefault(group, {})
        lifted.append(_lift(trace, found, str(k)))
    blobs = {group: _pack_remembered(arrays) for group, arrays in found_by_group.items() if arrays}

    def name(marker_tree, group):
        if isinstance(marker_tree, dict):
            if set(marker_tree) == {"$ref"}:
                return {"$ref": [blobs[group].id, marker_tree["$ref"]]}
            return {k: name(v, group) for k, v in marker_tree.items()}
        if isinstance(marker_tree, list):
            return [name(v, group) for v in marker_tree]
        return marker_tree

    data = [name(trace, group) for trace, group in zip(lifted, names)]
    found_layout: dict = {}
    layout, images = _images(d["layout"])
    layout = _lift(layout, found_layout, "layout")
    if found_layout:
        blobs["\0layout"] = pack(found_layout)
        layout = name(layout, "\0layout")
    return Split({"data": data, "layout": layout}, tuple(blobs.values()), images)


def fill(template, arrays_by_id: dict, image_urls) -> dict:
    """``template`` with each ``$ref`` replaced by its array (``arrays_by_id[blob id][name]``) and
    each ``$img`` by its URL: what the browser does before drawing."""
    if isinstance(template, dict):
        if set(template) == {"$ref"}:
            blob_id, name = template["$ref"]
            return arrays_by_id[blob_id][name]
        if set(template) == {"$img"}:
            return image_urls[template["$img"]]
        return {k: fill(v, arrays_by_id, image_urls) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, arrays_by_id, image_urls) for v in template]
    return template


def join(part: Split, image_urls=None) -> dict:
    """The figure the browser draws from ``part``: arrays unpacked in place (float64 or int64),
    images as ``image_urls[k]`` (default: ``data:`` URIs again)."""
    arrays = dict(unpack(blob.data) for blob in part.blobs)
    urls = image_urls or ["data:" + mime + ";base64," + base64.b64encode(raw).decode() for mime, raw in part.images]
    return fill(part.template, arrays, urls)
