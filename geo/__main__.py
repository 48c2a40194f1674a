"""``python -m geo`` runs the command-line interface.

Ctrl-C while the CLI is still starting (importing pandas, reading options) gets the same one
line and exit status 130 as Ctrl-C during a command.
"""

import sys

try:
    from geo.cli import main

    code = main()
except KeyboardInterrupt:
    print("geo: interrupted; no output file was changed", file=sys.stderr)
    code = 130
raise SystemExit(code)
