"""Small Streamlit helpers shared by the pages (the core packages know nothing of Streamlit)."""
