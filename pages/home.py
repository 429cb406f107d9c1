"""Home: what Descent Lab is, the update rule, and a gallery of the surfaces."""
import streamlit as st

import surfaces
from figures.surface_map import thumbnail
from ui.navigation import use_app_navigation

use_app_navigation()

PER_ROW = 3
CHART_CONFIG = {"displayModeBar": False}


@st.cache_data(show_spinner=False)
def surface_thumbnail(name: str):
    """The gallery thumbnail of one surface, built once per server process."""
    return thumbnail(surfaces.get(name))


def surface_card(name: str):
    surface = surfaces.get(name)
    badge = " :blue-badge[lecture]" if name in surfaces.LECTURE else ""
    st.markdown(f"**{surface.title}** `{name}`{badge}")
    st.plotly_chart(surface_thumbnail(name), config=CHART_CONFIG, key=f"thumb-{name}")
    st.caption(surface.description)
    # Inline math, not st.latex: KaTeX wraps inline formulas at + and =, so long ones fit a narrow column.
    st.markdown(f"${surface.latex}$")


st.title("Descent Lab")
st.markdown(
    "Watch, steer and compare how gradient-based optimizers travel across 2D error surfaces. "
    "The pages follow Hung-yi Lee's lecture on what makes training hard: **critical points and saddles**, "
    "**batch size and momentum**, **adaptive learning rates** (Adagrad, RMSProp, Adam) and "
    "**learning-rate schedules**."
)
st.markdown("Every optimizer here is one engine with three parts you can swap:")
st.latex(r"\theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} \odot m_t")
st.markdown(
    "- $m_t$, the **direction**: the gradient $g_t$ itself, or momentum that keeps part of earlier moves;\n"
    "- $\\sigma_t$, the per-parameter **scale**: $1$ for plain gradient descent, the root of the summed "
    "(Adagrad) or averaged (RMSProp, Adam) squared gradients;\n"
    "- $\\eta_t$, the **learning-rate schedule**: constant, decaying, or with warm-up."
)

st.header("The surfaces")
st.caption(
    "The first four are the lecture's; the rest are classic test functions. Colours are log-spaced heights "
    "above the lowest point, so flat floors and steep walls both show: dark is low, yellow is high. "
    "★ minimum · ✕ saddle · ▲ maximum · red ● default start."
)
names = surfaces.names()
for row in range(0, len(names), PER_ROW):
    for column, name in zip(st.columns(PER_ROW, gap="medium"), names[row:row + PER_ROW]):
        with column:
            surface_card(name)
