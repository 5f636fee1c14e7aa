"""``python -m koubei``."""

from koubei.cli import main

main()
