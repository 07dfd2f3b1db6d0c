"""The Metrics page script (see mnist_cnn/ui/metrics.py)."""

from mnist_cnn.ui.metrics import page

page()
