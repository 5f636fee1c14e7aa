"""The report's default title, apart from the report builder so that ``koubei --help``
does not import it."""

DEFAULT_TITLE = "口碑报告 · koubei report"
