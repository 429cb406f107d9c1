"""One widget per hyperparameter control (lab.controls holds what each offers), kept in the link."""
import streamlit as st

from lab import controls as C
from ui import links
from ui.i18n import t


def hyper_widget(prefix: str, optimizer: str, key: str, default):
    """The widget for control ``key`` of ``optimizer``; its key includes the optimizer, so that
    switching optimizer starts from that optimizer's defaults."""
    ctl = C.CONTROLS[key]
    wkey = f"{prefix}_{optimizer}_{key}"
    help_text = t(f"control.{key}.help")
    if ctl.control == "bool":
        return links.switch(st.checkbox, ctl.label, bool(default), key=wkey, help=help_text)
    if ctl.control == "log":
        return links.select(st.select_slider, ctl.label, ctl.options, C.nearest_option(ctl.options, default),
                            key=wkey, format_func=lambda v: f"{v:g}", help=help_text)
    lo, hi, step = ctl.ui_range
    return links.slider(ctl.label, lo, hi, float(default), step, key=wkey, format="%.4g", help=help_text)
