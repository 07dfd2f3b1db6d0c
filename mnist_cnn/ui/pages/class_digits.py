"""The Class digits page script (see mnist_cnn/ui/class_digits.py)."""

from mnist_cnn.ui.class_digits import page

page()
