import sys

from foerderkette.cli import main

sys.exit(main())
