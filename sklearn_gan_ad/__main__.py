"""``python -m sklearn_gan_ad``: the ``sklearn-gan-ad`` command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
