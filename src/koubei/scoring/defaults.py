"""Defaults of :func:`koubei.scoring.score_file` that the command line shows, apart from the
scorer so that ``koubei --help`` does not import it."""

#: output formats written chunk by chunk; the others are scored in memory
STREAM_FORMATS = ("parquet", "csv", "tsv", "jsonl")
DEFAULT_CHUNKSIZE = 50_000
