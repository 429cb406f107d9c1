"""Reading pages back out of AppTest: Plotly specs, errors."""
import base64
import json

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


def chart_specs(at):
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def ok(at):
    """The run raised nothing and showed no error."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def chart(at, key):
    """The spec of the chart drawn with ``st.plotly_chart(..., key=key)``."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart with key {key!r}")
