"""The drawing canvas's geometry, written once: the Draw and Inside pages draw with it, and
`mnist_cnn.handwriting` draws the pen-written training digits as a student would on it."""

CANVAS_SIZE = 280  # pixels a side: ten times MNIST's 28
PEN_WIDTHS = (8, 40)  # the brush slider's range, in pixels
BRUSH_SIZE = 20  # the brush's starting width, in pixels: gives MNIST-like strokes
