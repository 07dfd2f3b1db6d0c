"""Marks that are no digit, drawn independently of mnist_cnn.marks (which the network trains
on): the letters X, K, W, M, A, H, N, a hash sign, a smiley, a star, a spiral, a zigzag, a
scribble, a heart, one dot and two dots. Used by tests/test_handwriting.py and by
`python -m tools.handwriting` to check the "not a digit" output on shapes it never saw.

Each entry of MARKS makes pen strokes in a unit box (x right, y down) from a numpy Generator.
"""

from __future__ import annotations

import math

import numpy as np


def polyline(*points):
    return np.array(points, dtype=np.float64)


def circle(centre, radius, start=0, end=360, count=40):
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], 1)


def star_outline():
    angles = np.radians(np.arange(11) * 36 - 90)
    radii = np.where(np.arange(11) % 2 == 0, 0.5, 0.2)
    return np.stack([0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)], 1)


def archimedes_spiral():
    angles = np.linspace(0, 6 * math.pi, 150)
    radii = 0.5 * angles / angles[-1]
    return np.stack([0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)], 1)


def scribble(rng):
    walk = np.cumsum(rng.normal(0, 0.12, (60, 2)), axis=0)
    smooth = np.stack([np.convolve(walk[:, axis], np.ones(4) / 4, "valid") for axis in (0, 1)], 1)
    return (smooth - smooth.min(0)) / max(np.ptp(smooth, axis=0).max(), 1e-6)


def heart_shape():
    left = circle((0.27, 0.3), 0.25, 0, -200)[::-1]
    right = circle((0.73, 0.3), 0.25, 20, -180)[::-1]
    return np.concatenate([polyline((0.5, 1.0)), left, right[::-1], polyline((0.5, 1.0))])


MARKS = {
    "X": lambda rng: [polyline((0, 0), (1, 1)), polyline((1, 0), (0, 1))],
    "K": lambda rng: [polyline((0.1, 0), (0.1, 1)), polyline((0.9, 0), (0.1, 0.55), (0.9, 1))],
    "W": lambda rng: [polyline((0, 0), (0.2, 1), (0.5, 0.35), (0.8, 1), (1, 0))],
    "M": lambda rng: [polyline((0, 1), (0.1, 0), (0.5, 0.7), (0.9, 0), (1, 1))],
    "A": lambda rng: [polyline((0, 1), (0.5, 0), (1, 1)), polyline((0.2, 0.62), (0.8, 0.62))],
    "H": lambda rng: [
        polyline((0, 0), (0, 1)),
        polyline((0.8, 0), (0.8, 1)),
        polyline((0, 0.5), (0.8, 0.5)),
    ],
    "N": lambda rng: [polyline((0, 1), (0, 0), (0.8, 1), (0.8, 0))],
    "#": lambda rng: [
        polyline((0.35, 0), (0.25, 1)),
        polyline((0.75, 0), (0.65, 1)),
        polyline((0, 0.33), (1, 0.33)),
        polyline((0, 0.67), (1, 0.67)),
    ],
    "smiley": lambda rng: [
        circle((0.5, 0.5), 0.5),
        polyline((0.33, 0.35)),
        polyline((0.67, 0.35)),
        circle((0.5, 0.5), 0.28, 30, 150),
    ],
    "star": lambda rng: [star_outline()],
    "spiral": lambda rng: [archimedes_spiral()],
    "zigzag": lambda rng: [polyline(*[(x / 6, x % 2) for x in range(7)])],
    "scribble": lambda rng: [scribble(rng)],
    "heart": lambda rng: [heart_shape()],
    "one dot": lambda rng: [polyline((0.5, 0.5))],
    "two dots": lambda rng: [polyline((0.2, 0.5)), polyline((0.8, 0.5))],
}
