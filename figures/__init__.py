"""Plotly figures built from surfaces and trajectories: pure functions, no Streamlit."""
# plotly.py looks pandas up in sys.modules without importing it (is_homogeneous_array). On a server
# where one session's thread is still importing pandas (Streamlit imports it for st.dataframe) while
# another builds a figure, plotly finds the half-initialised module and raises AttributeError
# ("partially initialized module 'pandas' has no attribute 'Series"). Importing it here, fully, before
# any figure module can be used closes that window: a second thread importing this package waits
# until the first has finished.
import pandas  # noqa: F401
