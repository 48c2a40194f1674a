"""One module per tab of the atlas; each exposes ``render(analysis)``."""
