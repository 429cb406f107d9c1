"""Page models: plain, hashable configurations and the calls the pages make into the core.

Nothing here imports Streamlit; pages turn widgets into these configs, and
tests drive them directly.
"""
