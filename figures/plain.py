"""Plotly figures from plain dicts, without plotly.py's validation on the way in.

plotly.py checks every property it is handed against its schema, building a
full trace object for each entry: a frame that lists a dozen traces costs
about 0.3 ms, and ``go.Figure`` validates frames even with ``_validate=False``.
For the Playground's map that was most of a rerun's work. The figures here
take the dicts as they are; the tests check once that ``go.Figure(fig.to_dict())``
accepts what the builders write.
"""
from __future__ import annotations

import plotly.graph_objects as go


def figure(data, layout, frames=()) -> go.Figure:
    """``go.Figure`` holding ``data`` (trace dicts), ``layout`` (a dict) and ``frames`` (frame dicts), unvalidated."""
    fig = go.Figure(dict(data=list(data), layout=layout), _validate=False)
    if frames:
        # go.Figure's frames setter always validates; plotly 7.1 keeps the frames in _frame_objs, which
        # to_dict() reads (tests/test_figures_plain.py pins that this round-trips).
        fig._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in frames)
    return fig
