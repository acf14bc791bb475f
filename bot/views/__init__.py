"""Presentation: the Jinja2 environment, catalogues, labels, keyboards, callback codes."""
