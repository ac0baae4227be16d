"""``python -m seedance_tui`` runs the same command as ``seedance-tui``."""

from seedance_tui.entry import main

raise SystemExit(main())
