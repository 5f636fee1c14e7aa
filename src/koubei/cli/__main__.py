"""``python -m koubei.cli``."""

from koubei.cli import main

main()
