"""Train page script (see mnist_cnn/ui/train.py)."""

from mnist_cnn.ui.train import page

page()
