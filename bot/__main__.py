"""``python -m bot`` is the ``relaybot`` command."""

import sys

from bot.cli import main

sys.exit(main())
