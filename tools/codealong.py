"""Write notebooks/codealong.ipynb from the lesson's steps (mnist_cnn.lesson.STEPS), without
outputs, so the notebook and the Lesson page say and run the same:

    python -m tools.codealong            # write it
    python -m tools.codealong --check    # exit 1 if the stored notebook differs

tests/test_lesson.py checks that the stored notebook is what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from mnist_cnn.lesson import STEPS

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "codealong.ipynb"

INTRODUCTION = """\
# Codealong: a CNN learns to read handwritten digits

The classroom notebook behind MNIST CNN studio, in today's Keras. Each step is also a step of
the app's **Lesson** page, with the same words and the same code.

Run the cells from top to bottom (in JupyterLab: *Run > Run All Cells*). MNIST is read by the
`mnist_cnn` package: from the folder in `MNIST_DATA_DIR` if you set it (start Jupyter with
`MNIST_DATA_DIR=folder jupyter lab notebooks/codealong.ipynb`), else Keras downloads it once.
Training takes about a minute on a laptop. The last cell saves the network into the app's
models folder (`MNIST_CNN_MODELS_DIR`, or `~/.mnist_cnn/models`), so the app lists it."""


def notebook() -> nbformat.NotebookNode:
    """The codealong notebook: the introduction, then per step its words and its code."""
    cells = [nbformat.v4.new_markdown_cell(INTRODUCTION)]
    for number, step in enumerate(STEPS, start=1):
        cells.append(nbformat.v4.new_markdown_cell(f"## {number}. {step.title}\n\n{step.words}"))
        cells.append(nbformat.v4.new_code_cell(step.code, metadata={"lesson_step": step.slug}))
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(book.cells):  # stable ids: the file changes only with the text
        cell.id = f"cell-{index}"
    return book


def as_text(book: nbformat.NotebookNode) -> str:
    return nbformat.writes(book) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if it differs")
    args = parser.parse_args(argv)
    text = as_text(notebook())
    if args.check:
        same = NOTEBOOK.is_file() and NOTEBOOK.read_text() == text
        print(f"{NOTEBOOK}: {'up to date' if same else 'differs: run python -m tools.codealong'}")
        return 0 if same else 1
    NOTEBOOK.parent.mkdir(exist_ok=True)
    NOTEBOOK.write_text(text)
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
