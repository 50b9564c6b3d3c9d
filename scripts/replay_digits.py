#!/usr/bin/env python
"""Write the MNIST training digits a class's fine-tune replays (``replay.npz`` in the
shipped model's folder) from the MNIST IDX files, so that teaching the model needs no
MNIST files and no network: `python scripts/replay_digits.py --data-dir ../shared/mnist`.

Only MNIST's training split goes in: 3,000 replay digits (300 of each) from those the
model trained on and 2,000 check digits (200 of each) from its validation split, seeded,
so the same model and arguments give the same file (hwr/learning/replay.py). Nothing is
downloaded: without --data-dir or $HWR_DATA_DIR it stops with a sentence.
"""

import sys

from hwr.learning.replay import main

if __name__ == "__main__":
    sys.exit(main())
