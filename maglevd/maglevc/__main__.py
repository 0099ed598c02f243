"""`python -m ansible_collections.vpp.maglev.maglevd.maglevc` (bin/maglevc, the role's wrapper)."""

import sys

from .main import main

sys.exit(main())
