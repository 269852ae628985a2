"""Shared test settings.

Torch's default of one intra-op thread per core makes the tiny test networks
slower, not faster, on small CI machines; the detectors choose their own count
during fit, and the tests pin the global one for everything else.
"""

import torch

torch.set_num_threads(1)
