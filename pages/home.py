"""Home: what Descent Lab is, the update rule, and a gallery of the surfaces."""
import streamlit as st

import surfaces
from figures.thumbnail import thumbnail_png
from ui.i18n import t
from ui.page import finish, setup

setup("home")

PER_ROW = 3


def surface_card(name: str):
    surface = surfaces.get(name)
    badge = f" :blue-badge[{t('home.lecture_badge')}]" if name in surfaces.LECTURE else ""
    st.markdown(f"**{t(f'surface.{name}.title')}** `{name}`{badge}")
    # An image (built once per process, figures.thumbnail): a rerun of Home costs no chart at all.
    st.image(thumbnail_png(surface), width="stretch", output_format="PNG", alt=t(f"surface.{name}.title"))
    st.caption(t(f"surface.{name}.description"))
    # Inline math, not st.latex: KaTeX wraps inline formulas at + and =, so long ones fit a narrow column.
    st.markdown(f"${surface.latex}$")


st.title(t("app.name"))
st.markdown(t("home.intro"))
st.markdown(t("home.engine"))
st.latex(r"\theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} \odot m_t")
st.markdown(t("home.parts"))

st.header(t("home.surfaces"))
st.caption(t("home.surfaces_caption"))
names = surfaces.names()
for row in range(0, len(names), PER_ROW):
    for column, name in zip(st.columns(PER_ROW, gap="medium"), names[row:row + PER_ROW]):
        with column:
            surface_card(name)

finish()
