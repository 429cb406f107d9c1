"""Reading pages back out of AppTest: Plotly specs, errors."""
import base64
import json
from collections import OrderedDict

import numpy as np


def decode(value):
    """A Plotly JSON array: a plain list, or Plotly 7's ``{"dtype", "bdata", "shape"}`` for numpy arrays."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            array = array.reshape([int(n) for n in str(shape).split(",")])
        return array.astype(np.float64)
    return np.asarray(value, dtype=np.float64)


_MEDIA: "OrderedDict[str, bytes]" = OrderedDict()  # file name -> bytes of what AppTest runs put in the media store
_MEDIA_KEPT = 4000


def _record_media() -> None:
    """Keep what pages put in Streamlit's media store (AppTest's store is gone after each run), so
    that tests read the blobs and images a page hands the browser by URL."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    original = MediaFileManager.add
    if getattr(original, "records", False):
        return

    def add(self, path_or_data, mimetype, coordinates, *args, **kwargs):
        url = original(self, path_or_data, mimetype, coordinates, *args, **kwargs)
        if isinstance(path_or_data, bytes):
            _MEDIA[url.rsplit("/", 1)[-1]] = path_or_data
            while len(_MEDIA) > _MEDIA_KEPT:
                _MEDIA.popitem(last=False)
        return url

    add.records = True
    MediaFileManager.add = add


_record_media()


def media(url: str) -> bytes:
    """The bytes behind a media URL a page handed the browser in a test run."""
    return _MEDIA[url.rsplit("/", 1)[-1]]


def browser_charts(at) -> dict:
    """The charts drawn in the browser by ui.plot, by key: the figure rebuilt from the template and
    the blobs at the URLs the page gave (as plotly.js gets it), its options, images and blob URLs."""
    from figures.packed import fill, unpack

    out = {}
    for element in at.get("bidi_component"):
        proto = element.proto
        if proto.component_name != "descent_plot":
            continue
        payload = json.loads(proto.bytes)
        arrays = dict(unpack(media(url)) for url in payload["blobs"].values())
        out[proto.id.split("-", 2)[-1]] = {**_listed(fill(payload["spec"], arrays, payload["images"])),
                                           "opts": payload["opts"], "images": payload["images"],
                                           "blobs": payload["blobs"]}
    return out


def _listed(tree):
    """Arrays as lists, as in a Plotly chart's JSON (so that figures compare with ``==``)."""
    if isinstance(tree, dict):
        return {k: _listed(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_listed(v) for v in tree]
    return tree.tolist() if isinstance(tree, np.ndarray) else tree


def map_lines(chart) -> list:
    """The runs' paths on a trajectory map (figures.map): its line traces but the dark casings under them."""
    from figures.map import CASING_NAME

    return [t for t in chart["data"] if t.get("mode") == "lines" and t.get("name") != CASING_NAME]


def chart_specs(at):
    """Every chart on the page: Plotly charts and the charts drawn by ui.plot."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")] + list(browser_charts(at).values())


def link_note(key: str, raw: str) -> str:
    """How a page's link note names a setting and the value it could not use (both quoted as code)."""
    from lab.untrusted import quote

    return f"{quote(key)} = {quote(raw)}"


def ok(at):
    """The run raised nothing and showed no error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def downloads(monkeypatch) -> dict:
    """Record what download buttons hand to Streamlit's media store: {url: (bytes, mimetype, filename)}.
    AppTest keeps those files in a store it discards after each run, so they are caught on the way in."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stored, real = {}, MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = real(self, path_or_data, mimetype, kind, filename)
        stored[self.get_url(file_id)] = (path_or_data, mimetype, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return stored


def chart(at, key):
    """The spec of the chart drawn with ``st.plotly_chart(..., key=key)`` or ``ui.plot.show(..., key=key)``."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    drawn = browser_charts(at)
    if key in drawn:
        return drawn[key]
    raise AssertionError(f"no chart with key {key!r}")


# ----------------------------------------------------------------- untranslated text
KEY_PATTERN = r"^[a-z_]+(\.[a-z_0-9]+)+$"  # what a catalog key looks like: "sweep.title", "surface.bowl.title"


def _strings(message):
    """Every string in a protobuf message, nested messages included; a Plotly spec is opened up."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for v in values:
            if isinstance(v, str):
                if field.name == "spec" and v.startswith("{"):
                    yield from _json_strings(json.loads(v))
                else:
                    yield v
            elif field.name == "bytes" and getattr(message, "component_name", "") == "descent_plot":
                yield from _json_strings(json.loads(v))  # a chart drawn in the browser (ui.plot)
            elif hasattr(v, "ListFields"):
                yield from _strings(v)


def _json_strings(tree):
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k != "bdata":
                yield from _json_strings(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from _json_strings(v)
    elif isinstance(tree, str):
        yield tree


def _nodes(block):
    yield block
    for child in getattr(block, "children", {}).values():
        yield from _nodes(child)


def shown_strings(at):
    """The text of every element in the main area and the sidebar: markdown, titles, captions, labels,
    help tooltips, options, messages, table headings and cells, and the words in Plotly figures."""
    out = []
    for root in (at.main, at.sidebar):
        for node in _nodes(root):
            proto = getattr(node, "proto", None)
            if proto is not None and hasattr(proto, "ListFields"):
                out += list(_strings(proto))
            if getattr(node, "type", "") == "arrow_data_frame":
                frame = node.value
                out += [str(c) for c in frame.columns]
                out += [v for column in frame.columns for v in frame[column] if isinstance(v, str)]
    return out


def raw_keys(at, lang: str = "en"):
    """Strings shown on the page that are catalog keys rather than text: a whole string that looks
    like a key, or a word (split at spaces and markup) that is a key of the ``lang`` catalog."""
    import re

    import i18n

    keys = set(i18n.catalog(lang))
    found = []
    for text in shown_strings(at):
        if re.match(KEY_PATTERN, text.strip()):
            found.append(text)
            continue
        for word in re.split(r"[\s<>*`'\"(),:;]+", text):
            if word in keys:
                found.append(text)
                break
    return found


def open_link(page: str, query: dict, timeout: float = 60, **extra):
    """A new session of ``page`` (an absolute path) opened with ``query`` as its link, plus ``extra``
    parameters, run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(page, default_timeout=timeout)
    for k, v in {**query, **extra}.items():
        at.query_params[k] = str(v)
    return at.run()


def walk_numbers(obj, path="fig"):
    """Yield (where, array) for every number or typed array in a JSON tree."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            yield path, decode(obj)
            return
        for k, v in obj.items():
            yield from walk_numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk_numbers(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, np.asarray([obj], dtype=float)


def as_json(fig):
    def refuse(constant):
        raise AssertionError(f"non-finite constant {constant} in the figure JSON")
    text = fig.to_json()
    return text, json.loads(text, parse_constant=refuse)
