"""Makes `import tagsync` work in tests/, however pytest is started. The tagfake fixtures need
no set-up: installing tagfake registers its pytest plugin."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
