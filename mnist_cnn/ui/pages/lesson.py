"""Lesson page script (see mnist_cnn/ui/lesson.py)."""

from mnist_cnn.ui.lesson import page

page()
