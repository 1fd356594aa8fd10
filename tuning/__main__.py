"""`python -m tuning ...`: dispatches to the command line in tuning.cli."""

from tuning.cli import main

raise SystemExit(main())
