"""The Streamlit atlas: page containers and cached calls into :mod:`geo` (UI code only)."""
