"""Object detection in PyTorch: train on synthetic shapes (or your data), serve an upload page."""

import os

# PyTorch's OpenMP worker threads busy-wait for work by default. When other programs share the
# CPU (a laptop, a CI runner), the spinning threads steal it from each other, and training can
# run several times slower on a machine with few cores. "PASSIVE" makes idle threads sleep. It
# must be set before torch is first imported, which is why it is here; set the variable yourself
# to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
