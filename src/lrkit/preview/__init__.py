"""Previews: a schedule's rates before training, as a table, a terminal plot or an image file.

Imports only the schedule core and numpy (matplotlib lazily, in `save`), never torch, so
``lrkit table`` and ``lrkit plot`` answer in a fraction of a second.
"""

from lrkit.preview.plot import save
from lrkit.preview.table import FORMATS, format_rows, rows, to_csv, to_json, to_text, write_rows
from lrkit.preview.terminal import render

__all__ = ["FORMATS", "format_rows", "render", "rows", "save", "to_csv", "to_json", "to_text", "write_rows"]
