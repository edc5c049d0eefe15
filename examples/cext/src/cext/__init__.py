"""cext: arithmetic in C, released with relman."""

from cext._speedups import add, checksum

__all__ = ["__version__", "add", "checksum"]

__version__ = "0.4.0.dev0"
