"""MNIST CNN studio: the classroom notebook's digit network as a package (no Streamlit here)."""

import os

# Keep TensorFlow's start-up log lines out of the terminal and the app; set it to 0 to see them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
