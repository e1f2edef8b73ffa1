"""Make the package importable as `pantry` without installing it."""

import os
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src")
sys.path.insert(0, os.path.normpath(SRC))
