"""Print pip constraints that pin every dependency of pyproject.toml (runtime and test) to its declared floor.

CI installs the project with them and runs the quick tests, so a floor lower than what the code needs fails.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
for requirement in requirements:
    match = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([^,;\s]+)", requirement)
    if match is None:
        sys.exit(f"{requirement!r} declares no floor (name>=version)")
    print(f"{match.group(1)}=={match.group(2)}")
