"""purelib: small text helpers, released with relman."""

from purelib._core import slugify, wrap_words

__all__ = ["__version__", "slugify", "wrap_words"]

__version__ = "1.1.0.dev0"
