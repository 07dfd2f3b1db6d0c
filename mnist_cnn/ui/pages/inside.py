"""Inside the CNN page script (see mnist_cnn/ui/inside.py)."""

from mnist_cnn.ui.inside import page

page()
