"""Helpers of the Streamlit app: translations, state and caching, charts."""
