"""Draw page script (see mnist_cnn/ui/draw.py)."""

from mnist_cnn.ui.draw import page

page()
