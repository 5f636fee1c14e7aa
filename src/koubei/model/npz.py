"""Reading the numeric arrays of a model bundle: never unpickled, every failure a bundle error."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from koubei.errors import IncompatibleModelError

#: what to do about a bundle whose files cannot be read
RESTORE_FIX = "retrain the model, or restore the bundle from a copy"
#: what loading a damaged, cut-short or pickled ``.npz`` raises
NPZ_ERRORS: tuple[type[Exception], ...] = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile,
                                           zlib.error)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, with ``allow_pickle=False``: an object array, which only
    unpickling (running code from the file) could rebuild, raises ``ValueError``.

    Raises:
        one of :data:`NPZ_ERRORS`.
    """
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def read_npz(path: Path, fix: str = RESTORE_FIX) -> dict[str, np.ndarray]:
    """:func:`load_npz`, its failures one line naming the file, its folder and ``fix``.

    Raises:
        IncompatibleModelError: the file holds object arrays, is not an npz, or is damaged.
    """
    try:
        return load_npz(path)
    except NPZ_ERRORS as e:
        if isinstance(e, ValueError) and "Object arrays" in str(e):
            why = "holds object arrays, which koubei never loads (unpickling them could run code)"
        elif isinstance(e, ValueError) and "pickle" in str(e):
            why = "is not an npz file (numpy would read it as a pickle, which koubei never loads)"
        else:
            why = f"cannot be read ({type(e).__name__}: {e}; damaged or cut short)"
        raise IncompatibleModelError(f"{path.parent}: {path.name} {why}; {fix}") from None
