"""The ground every other part stands on: message kinds, areas, the warehouse layout, the configuration
(``takuso.toml``), client certificates and durable file writes.

May import: the standard library and third-party packages only; nothing of the project's other folders.
"""
