"""``python -m backchannel``: the command line, as the ``backchannel`` command."""

from backchannel.cli.app import main

main()
