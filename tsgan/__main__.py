from tsgan.cli import main

raise SystemExit(main())
