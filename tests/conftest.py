"""Shared test set-up.

xlwings' remote engine (xw.Book(json=…)) and its server-side UDF decorators are xlwings PRO, free for noncommercial
use and government institutions with the licence key `noncommercial`. Both variables must be set before xlwings is
first imported. XLWINGS_ON_SERVER makes `@xw.func` record the function's metadata (as the Windows decorators do),
so our UDFs can be called through xlwings' own custom-function machinery on Linux.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

sys.path.insert(0, str(Path(__file__).resolve().parent))
