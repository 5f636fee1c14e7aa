"""The package version, in a leaf module every layer may import (``koubei.__version__`` re-exports it)."""

__version__ = "0.1.0"
