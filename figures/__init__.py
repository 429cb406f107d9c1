"""Plotly figures built from surfaces and trajectories: pure functions, no Streamlit."""
