"""Loading TensorFlow without the lines it prints on start-up.

TensorFlow's C++ core writes notices straight to the process's stderr (oneDNN, "Could not find
cuda drivers", "failed call to cuInit") before any Python setting can stop them. They are not
errors, but a student reads them as errors. `load_tensorflow()` imports TensorFlow and lists its
devices with stderr pointed at /dev/null, so those lines go nowhere; everything printed later
(real errors included) is shown as usual. Set MNIST_CNN_TF_LOGS=1 to see them.
"""

from __future__ import annotations

import contextlib
import os
import sys

from mnist_cnn.settings import tensorflow_logs


@contextlib.contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_tensorflow() -> None:
    """Import TensorFlow (and Keras) once, without its start-up notices."""
    if "tensorflow" in sys.modules or tensorflow_logs():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced():
        import keras  # noqa: F401
        import tensorflow

        tensorflow.config.list_physical_devices()  # the cuInit notice comes here, once
