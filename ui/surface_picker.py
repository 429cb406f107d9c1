"""The surface picker of the Playground, the sweep and Basins: a built-in surface, or "Your formula…"
with a text box, a gallery of examples, the window and (where the page has no start of its own) the start.

Every setting is kept in the link (keys in ``lab.surface_choice``). A formula the language refuses is
reported under the box in the page's language, naming what is wrong and at which character, and
the page is not drawn with it: the picker returns None. The user's text is echoed only through
``lab.untrusted.quote``.
"""
from __future__ import annotations

import streamlit as st

import surfaces
from lab import surface_choice as choice
from lab.untrusted import quote
from surfaces.formula import MAX_LENGTH, FormulaError, surface_name
from surfaces.formula.errors import TEXT_FIELDS
from surfaces.formula.examples import DEFAULT, EXAMPLES
from ui import links
from ui.i18n import t

FORMULA = choice.FORMULA
START_KEYS = ("start_x_{}", "start_y_{}")  # the Playground's and the sweep's start widgets, per surface name
CONTEXT = 16  # characters shown on each side of the one a refusal points at


def surface_picker(prefix: str, default: str, *, label: str, help: str, with_start: bool = False,
                   start_keys: tuple[str, str] = START_KEYS) -> tuple[str, tuple] | None:
    """(name, parameters for ``surfaces.get``) of the chosen surface, or None for a refused formula.

    ``prefix`` names the page's settings (``lab.surface_choice.keys``); ``start_keys`` are the page's
    start widgets' keys with ``{}`` for the surface's name (a loaded example sets them); with
    ``with_start`` the picker draws those start widgets itself and the start goes into the parameters."""
    keys = choice.keys(prefix)
    name = links.select(st.selectbox, label, surfaces.choices(), default, key=keys.surface,
                        format_func=lambda n: t(f"surface.{n}.title"), help=help)
    if name != FORMULA:
        return name, ()
    with st.container(border=True):
        return _formula(keys, with_start, start_keys)


def _formula(keys: choice.FormulaKeys, with_start: bool, start_keys) -> tuple[str, tuple] | None:
    gallery = f"{keys.text}_example"
    st.selectbox(t("surface_picker.examples"), [e.id for e in EXAMPLES], index=None, key=gallery,
                 placeholder=t("surface_picker.examples_placeholder"),
                 format_func=lambda e: t(f"formula.example.{e}"), on_change=_load, args=(keys, gallery, start_keys),
                 help=t("surface_picker.examples_help"))
    text = links.text(t("surface_picker.formula"), DEFAULT.text, key=keys.text, max_length=MAX_LENGTH,
                      help=t("surface_picker.formula_help", length=MAX_LENGTH))
    bounds = []
    for row in (keys.bounds[:2], keys.bounds[2:]):
        for column, key in zip(st.columns(2), row):
            name = key.rsplit("_", 1)[1]
            with column:
                bounds.append(links.number(t(f"surface_picker.{name}"), -choice.COORDINATE_LIMIT,
                                           choice.COORDINATE_LIMIT, choice.default_bounds()[len(bounds)], key,
                                           format="%g", step=0.5, help=t("surface_picker.bounds_help")))
    try:
        surface = surfaces.get(FORMULA, **dict(choice.formula_params(text, bounds)))
        start = _start(surface, start_keys) if with_start else None
        params = choice.formula_params(text, bounds, start)
        surfaces.get(FORMULA, **dict(params))  # the start is checked too
    except FormulaError as error:
        st.error(refusal(error, text))
        return None
    st.caption(t("surface_picker.read_as"))
    st.latex(surface.latex)
    return FORMULA, params


def _start(surface, start_keys) -> tuple[float, float]:
    (x0, x1), (y0, y1) = surface.bounds
    values = []
    for column, key, (lo, hi), default, label in zip(st.columns(2), start_keys, surface.bounds, surface.start,
                                                     ("start_x", "start_y")):
        with column:
            values.append(float(links.number(t(f"surface_picker.{label}"), lo, hi, float(default),
                                             key.format(surface.name), format="%.4g",
                                             help=t("surface_picker.start_help", lo=f"{lo:g}", hi=f"{hi:g}"))))
    return tuple(values)


def _load(keys: choice.FormulaKeys, gallery: str, start_keys) -> None:
    """Put the chosen example's text, window and start into the widgets (and clear the gallery's choice)."""
    chosen = st.session_state.get(gallery)
    if chosen is None:
        return
    example = choice.example(chosen)
    st.session_state[keys.text] = example.text
    (x0, x1), (y0, y1) = example.bounds
    for key, value in zip(keys.bounds, (x0, x1, y0, y1)):
        st.session_state[key] = value
    name = surface_name(example.text, example.bounds)
    for key, value in zip(start_keys, example.start):
        st.session_state[key.format(name)] = value
    st.session_state[gallery] = None


def refusal(error: FormulaError, text: str) -> str:
    """What is wrong, in the page's language, with the user's text quoted and the character marked."""
    fields = {k: quote(v) if k in TEXT_FIELDS else v for k, v in error.fields.items()}
    message = t(f"formula.error.{error.code}", **fields)
    if error.fields.get("suggestion"):
        message += " " + t("formula.suggestion", suggestion=fields["suggestion"])
    if error.pos is None:
        return message
    before = text[max(0, error.pos - CONTEXT):error.pos]
    after = text[error.pos + 1:error.pos + 1 + CONTEXT]
    marked = ("…" if error.pos > CONTEXT else "") + before + "⟦" + text[error.pos:error.pos + 1] + "⟧" + after \
        + ("…" if error.pos + 1 + CONTEXT < len(text) else "")
    return t("formula.at", pos=error.pos + 1, message=message, context=quote(marked))
