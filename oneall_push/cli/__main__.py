"""``python -m oneall_push.cli``."""

import sys

from . import main

sys.exit(main())
