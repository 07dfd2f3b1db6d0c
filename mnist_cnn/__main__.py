"""`python -m mnist_cnn ...` runs the command line (see mnist_cnn/cli.py)."""

import sys

from mnist_cnn.cli import main

sys.exit(main())
