"""One widget per hyperparameter control (lab.controls holds what each offers)."""
import streamlit as st

from lab import controls as C


def hyper_widget(prefix: str, optimizer: str, key: str, default):
    """The widget for control ``key`` of ``optimizer``; its key includes the optimizer, so that
    switching optimizer starts from that optimizer's defaults."""
    ctl = C.CONTROLS[key]
    wkey = f"{prefix}_{optimizer}_{key}"
    if ctl.kind == "bool":
        return st.checkbox(ctl.label, bool(default), key=wkey, help=ctl.help)
    if ctl.kind == "log":
        return st.select_slider(ctl.label, ctl.options, value=C.nearest_option(ctl.options, default), key=wkey,
                                format_func=lambda v: f"{v:g}", help=ctl.help)
    return st.slider(ctl.label, ctl.lo, ctl.hi, float(default), ctl.step, key=wkey, help=ctl.help)
