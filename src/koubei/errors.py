"""The exceptions koubei raises.

Library code raises these; the CLI turns each into one line on stderr and a
non-zero exit code. Every message says what went wrong *and* what to do.
"""

from __future__ import annotations


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none).

    DuckDB's, torch's and transformers' messages run over several lines (hints,
    the query, advice): the first says what failed, and fits in a one-line error.
    """
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class KoubeiWarning(UserWarning):
    """Something the user must know about a result that was still written (e.g. text cut in xlsx).

    Issued with :func:`warnings.warn`; the CLI prints it as ``warning: <message>`` on stderr.
    """


class KoubeiError(Exception):
    """Base class of every error koubei raises on purpose."""

    exit_code = 1


class InputError(KoubeiError):
    """A review dump cannot be read (missing, wrong format, wrong encoding...)."""

    exit_code = 2


class InputFormatError(InputError):
    """The file exists but its content is not what its format promises."""


class EncodingError(InputError):
    """The file's bytes do not decode with the detected or given encoding."""


class ColumnError(InputError):
    """A mapped column is missing, or the text column cannot be told."""


class NotFoundError(InputError):
    """A name the user gave (an issue id...) is not there; the message says how to list the names."""


class OutputError(KoubeiError):
    """The output path cannot be written (exists, directory missing, not writable)."""

    exit_code = 3


class TaxonomyError(KoubeiError):
    """A taxonomy file is malformed; the message names the entry."""

    exit_code = 4


class ModelNotFoundError(KoubeiError):
    """No model bundle at the given path."""

    exit_code = 5


class IncompatibleModelError(KoubeiError):
    """A model bundle from another schema/taxonomy/version, or with damaged files."""

    exit_code = 5


class DataNotFoundError(KoubeiError):
    """The shared corpora a script or training run needs are not there."""

    exit_code = 6


class StoreError(KoubeiError):
    """An issue-history store cannot be used (damaged, newer schema, locked)."""

    exit_code = 7


class LabelError(InputError):
    """A label file is malformed or speaks labels outside the taxonomy; the message names them."""


class EncoderError(KoubeiError):
    """A transformer encoder cannot be used (optional dependencies, incomplete model directory).

    The message gives the install line, or lists the files the model directory lacks.
    """

    exit_code = 5


class EngineError(KoubeiError):
    """A scoring engine cannot run: its optional dependency is missing, or its scheduler unreachable.

    The message gives the install line or says how to start the scheduler.
    """

    exit_code = 8


class ConfigError(KoubeiError):
    """A monitor config file is missing, not TOML, or has a bad entry; the message names file and key."""

    exit_code = 9


class AlertError(KoubeiError):
    """An alert could not be delivered (timeout, HTTP error, an error code in the platform's reply).

    The message names the channel and its masked address, never a secret. ``koubei run`` keeps the
    alert and sends it again on the next run; the run's exit code is this one.

    Attributes:
        retry_after: seconds the platform asked to wait before the next try (HTTP 429), if it said.
    """

    exit_code = 10
    retry_after: float | None = None
