"""`python -m tagfake` is `tagfake`."""

from tagfake.cli import main

raise SystemExit(main())
