"""`python -m perfeval_xl …` is `perfeval-xl …`: works where the script is not on PATH (python.org's per-user install
leaves it off), and it is how the offline installer registers the add-in."""

import sys

from .cli import main

sys.exit(main())
