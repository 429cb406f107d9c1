"""Cached core calls of the pages that draw Playground views: the runs and the figures drawn from them
(the Playground, the tour's previews).

Defined here, not in the page: a page's file runs again on every rerun, and each
``st.cache_resource`` decoration there costs a reading of its source (about 1 ms a function).
Keys are small strings (``repr`` of a plain, hashable view); the view itself is passed unhashed.
Cached objects are shared by every session: read-only.
"""
from __future__ import annotations

import streamlit as st

from figures.diagnostics import diagnostics, diagnostics_spec
from figures.inspector import step_figure
from figures.map import map_split, path_map
from figures.packed import split
from figures.schedule_plot import schedule_spec
from figures.surface3d import surface_3d
from lab.playground import DIAGNOSTIC_POINTS, MAP_OPTIONS, MAX_RUNS, RunSpec, View, run_key, run_one, run_view

MAP_HEIGHT = 560


@st.cache_resource(max_entries=32, show_spinner=False)
def simulate_view(key: str, language: str, _view: View):
    """Trajectories of a view; ``key`` is repr(view) (small, hashable), the view itself is not hashed.
    Each run comes from ``simulate_run``: a move that changes one run computes that run only, and the
    others stay the same objects (so their figure pieces are reused, figures.memo)."""
    if not 1 <= len(_view.runs) <= MAX_RUNS:
        run_view(_view, language)  # names what is wrong
    return [simulate_run(run_key(_view, spec), language, _view, spec) for spec in _view.runs]


@st.cache_resource(max_entries=128, show_spinner=False)
def simulate_run(key: str, language: str, _view: View, _spec: RunSpec):
    """One run of a view; ``key`` is ``lab.playground.run_key`` (everything the run depends on)."""
    return run_one(_view, _spec, language)


@st.cache_resource(max_entries=32, show_spinner=False)
def map_part(key: str, language: str, _view: View):
    """The map as the browser draws it (template and one blob per run) and what its animation needs."""
    return map_split(_view.build_surface(), simulate_view(key, language, _view), height=MAP_HEIGHT, lang=language)


@st.cache_resource(max_entries=16, show_spinner=False)
def surface_part(key: str, language: str, _view: View):
    """The 3D view: the surface with the paths on it."""
    return split(surface_3d(_view.build_surface(), simulate_view(key, language, _view)))


@st.cache_resource(max_entries=8, show_spinner=False)
def export_map(key: str, language: str, _view: View):
    """The map as one self-contained Plotly figure with its own animation, for the HTML export."""
    return path_map(_view.build_surface(), simulate_view(key, language, _view), lang=language, **MAP_OPTIONS)


@st.cache_resource(max_entries=64, show_spinner=False)
def eta_part(key: str, language: str, lr: float, steps: int, _schedule):
    """η_t of one run; ``key`` is repr(schedule)."""
    return split(schedule_spec(_schedule, lr, steps, lang=language))


@st.cache_resource(max_entries=64, show_spinner=False)
def inspector_part(key: str, language: str, run_index: int, index: int, _view: View):
    """The step inspector's zoomed map at record ``index`` of run ``run_index``, as the browser draws it."""
    return split(step_figure(_view.build_surface(), simulate_view(key, language, _view)[run_index], index,
                             lang=language))


@st.cache_resource(max_entries=8, show_spinner=False)
def diagnostics_figure(key: str, language: str, log_steps: bool, _view: View):
    """Loss, gradient norm, η/σ and η of every run as one Plotly figure (the HTML export)."""
    return diagnostics(_view.build_surface(), simulate_view(key, language, _view), log_steps=log_steps,
                       max_points=DIAGNOSTIC_POINTS, lang=language)


@st.cache_resource(max_entries=32, show_spinner=False)
def diagnostics_part(key: str, language: str, log_steps: bool, _view: View):
    """The diagnostics as the browser draws them: each run's curves in a blob of their own."""
    return split(diagnostics_spec(_view.build_surface(), simulate_view(key, language, _view), log_steps=log_steps,
                                  max_points=DIAGNOSTIC_POINTS, lang=language))
