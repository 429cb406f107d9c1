"""The surface picker of the Playground, the sweep and Basins: a built-in surface, or "Your formula…"
with a text box, a gallery of examples, the window and (where the page has no start of its own) the start.

Every setting is kept in the link (keys in ``lab.surface_choice``). A formula the language refuses is
reported under the box in the page's language, naming what is wrong and at which character, and
the page is not drawn with it: the picker returns None. The user's text is echoed only through
``lab.untrusted.quote``.
"""
from __future__ import annotations

import threading

import streamlit as st

import surfaces
from lab import surface_choice as choice
from lab.untrusted import quote
from surfaces.formula import MAX_LENGTH, FormulaError, prepare
from surfaces.formula.errors import TEXT_FIELDS
from surfaces.formula.examples import DEFAULT, EXAMPLES
from ui import links
from ui.i18n import t

FORMULA = choice.FORMULA
START_KEYS = ("start_x_{}", "start_y_{}")  # start widgets per surface name, as the Playground names its own
CONTEXT = 16  # characters shown on each side of the one a refusal points at

# The first formula's imports and JIT, in the background (lab.surface_choice.WARM_UP_AFTER_S says why).
_warm_up = threading.Timer(choice.WARM_UP_AFTER_S, prepare, args=(DEFAULT.text,))
_warm_up.daemon = True
_warm_up.start()


def surface_picker(prefix: str, default: str, *, label: str, help: str,
                   with_start: bool = False) -> tuple[str, tuple] | None:
    """(name, parameters for ``surfaces.get``) of the chosen surface, or None for a refused formula.

    ``prefix`` names the page's settings (``lab.surface_choice.keys``). A formula's surface has a default
    start (a gallery example's own); pages with start widgets of their own start there. With
    ``with_start`` the picker draws start widgets itself (keys START_KEYS) and the start goes into the
    parameters."""
    keys = choice.keys(prefix)
    name = links.select(st.selectbox, label, surfaces.choices(), default, key=keys.surface,
                        format_func=lambda n: t(f"surface.{n}.title"), help=help)
    if name != FORMULA:
        return name, ()
    with st.container(border=True):
        return _formula(keys, with_start)


def _formula(keys: choice.FormulaKeys, with_start: bool) -> tuple[str, tuple] | None:
    gallery = f"{keys.text}_example"
    st.selectbox(t("surface_picker.examples"), [e.id for e in EXAMPLES], index=None, key=gallery,
                 placeholder=t("surface_picker.examples_placeholder"),
                 format_func=lambda e: t(f"formula.example.{e}"), on_change=_load, args=(keys, gallery),
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
        params = choice.formula_params(text, bounds)
        surface = surfaces.get(FORMULA, **dict(params))
        if with_start:
            params = choice.formula_params(text, bounds, _start(surface))
            surfaces.get(FORMULA, **dict(params))  # the start is checked too
    except FormulaError as error:
        st.error(refusal(error, text))
        return None
    # Inline math: KaTeX breaks a long formula after its + and − signs to fit the sidebar. The LaTeX holds
    # only the parser's own tokens (digits, x, y, fixed commands), never the typed text itself.
    st.markdown(f"{t('surface_picker.read_as')} ${surface.latex}$")
    if not len(surface.minima):
        st.caption(t("surface_picker.no_minimum"))
    return FORMULA, params


def _start(surface) -> tuple[float, float]:
    values = []
    for column, key, (lo, hi), default, label in zip(st.columns(2), START_KEYS, surface.bounds, surface.start,
                                                     ("start_x", "start_y")):
        with column:
            values.append(float(links.number(t(f"surface_picker.{label}"), lo, hi, float(default),
                                             key.format(surface.name), format="%.4g",
                                             help=t("surface_picker.start_help", lo=f"{lo:g}", hi=f"{hi:g}"))))
    return tuple(values)


def _load(keys: choice.FormulaKeys, gallery: str) -> None:
    """Put the chosen example's text and window into the widgets (its start is then the surface's default)
    and clear the gallery's choice."""
    chosen = st.session_state.get(gallery)
    if chosen is None:
        return
    example = choice.example(chosen)
    st.session_state[keys.text] = example.text
    (x0, x1), (y0, y1) = example.bounds
    for key, value in zip(keys.bounds, (x0, x1, y0, y1)):
        st.session_state[key] = value
    st.session_state[gallery] = None


def refusal(error: FormulaError, text: str) -> str:
    """What is wrong, in the page's language, with the user's text quoted and the character marked."""
    fields = {k: quote(v) if k in TEXT_FIELDS else v for k, v in error.fields.items()}
    message = t(f"formula.error.{error.code}", **fields)
    if error.fields.get("suggestion"):
        message += " " + t("formula.suggestion", suggestion=fields["suggestion"])
    if error.pos is None:
        return message
    start = error.pos
    end = start + max(1, len(error.fields.get("name", "")))  # a whole name, else one character
    marked = ("…" if start > CONTEXT else "") + text[max(0, start - CONTEXT):start] + "⟦" + text[start:end] + "⟧" \
        + text[end:end + CONTEXT] + ("…" if end + CONTEXT < len(text) else "")
    return t("formula.at", pos=start + 1, message=message, context=quote(marked))
