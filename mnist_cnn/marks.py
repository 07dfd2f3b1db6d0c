"""Marks that are no digit, drawn as pen strokes: to teach a network to say "not a digit".

Each kind of mark is a small function that returns pen strokes in a unit box (x right, y down),
built from random numbers so that no two marks are alike: letters that look like no digit
(X, K, W, M, A, H, N, E, F, R, Y, V, T), a hash sign, a smiley, a star, an asterisk, a spiral, a
zigzag, a wave, a scribble, a heart, a triangle, a cross in a box, one, two or three dots.
Letters that look like digits (O, I, Z, S, B, G) are left out on purpose.
"""

from __future__ import annotations

import math

import numpy as np

Strokes = list[np.ndarray]  # each stroke (N, 2): x right, y down


def _line(rng: np.random.Generator, *points, wobble: float = 0.02) -> np.ndarray:
    """A polyline through `points`, each moved a little, with points every ~0.03."""
    corners = np.array(points, dtype=np.float64) + rng.normal(0, wobble, (len(points), 2))
    pieces = []
    for start, end in zip(corners[:-1], corners[1:], strict=True):
        count = max(2, math.ceil(np.hypot(*(end - start)) / 0.03))
        pieces.append(np.linspace(start, end, count)[:-1])
    return np.concatenate([*pieces, corners[-1:]])


def _ellipse(rng, centre, radii, start=0.0, end=360.0) -> np.ndarray:
    angles = np.radians(np.linspace(start, end, 48))
    points = np.stack(
        [centre[0] + radii[0] * np.cos(angles), centre[1] + radii[1] * np.sin(angles)]
    )
    return points.T + rng.normal(0, 0.005, (48, 2))


def _u(rng, low, high) -> float:
    return float(rng.uniform(low, high))


def letter_x(rng):
    return [_line(rng, (0, 0), (1, 1)), _line(rng, (1, 0), (0, 1))]


def letter_k(rng):
    middle = _u(rng, 0.4, 0.6)
    return [_line(rng, (0, 0), (0, 1)), _line(rng, (0.9, 0), (0, middle), (1, 1))]


def letter_w(rng):
    return [_line(rng, (0, 0), (0.25, 1), (0.5, _u(rng, 0.2, 0.5)), (0.75, 1), (1, 0))]


def letter_m(rng):
    return [_line(rng, (0, 1), (0, 0), (0.5, _u(rng, 0.5, 0.8)), (1, 0), (1, 1))]


def letter_a(rng):
    bar = _u(rng, 0.5, 0.7)
    return [_line(rng, (0, 1), (0.5, 0), (1, 1)), _line(rng, (0.25, bar), (0.75, bar))]


def letter_h(rng):
    bar = _u(rng, 0.4, 0.6)
    return [_line(rng, (0, 0), (0, 1)), _line(rng, (1, 0), (1, 1)), _line(rng, (0, bar), (1, bar))]


def letter_n(rng):
    return [_line(rng, (0, 1), (0, 0), (1, 1), (1, 0))]


def letter_e(rng):
    return [
        _line(rng, (1, 0), (0, 0), (0, 1), (1, 1)),
        _line(rng, (0, 0.5), (_u(rng, 0.6, 0.9), 0.5)),
    ]


def letter_f(rng):
    return [_line(rng, (1, 0), (0, 0), (0, 1)), _line(rng, (0, 0.5), (_u(rng, 0.6, 0.9), 0.5))]


def letter_r(rng):
    bowl = _ellipse(rng, (0.3, 0.25), (0.45, 0.25), -90, 90)
    return [_line(rng, (0, 1), (0, 0), (0.3, 0)), bowl, _line(rng, (0.3, 0.5), (0, 0.5), (1, 1))]


def letter_y(rng):
    return [_line(rng, (0, 0), (0.5, 0.5), (1, 0)), _line(rng, (0.5, 0.5), (0.5, 1))]


def letter_v(rng):
    return [_line(rng, (0, 0), (0.5, 1), (1, 0))]


def letter_t(rng):
    return [_line(rng, (0, 0), (1, 0)), _line(rng, (0.5, 0), (0.5, 1))]


def hash_sign(rng):
    a, b = _u(rng, 0.2, 0.4), _u(rng, 0.6, 0.8)
    return [
        _line(rng, (a + 0.1, 0), (a - 0.1, 1)),
        _line(rng, (b + 0.1, 0), (b - 0.1, 1)),
        _line(rng, (0, a), (1, a)),
        _line(rng, (0, b), (1, b)),
    ]


def smiley(rng):
    eye = _u(rng, 0.3, 0.4)
    mouth = _ellipse(rng, (0.5, 0.55), (0.25, _u(rng, 0.1, 0.2)), 20, 160)
    face = [_ellipse(rng, (0.5, 0.5), (0.5, 0.5))] if rng.random() < 0.7 else []
    return [*face, np.array([[0.35, eye]]), np.array([[0.65, eye]]), mouth]


def star(rng):
    turn = _u(rng, 0, 2 * math.pi)
    angles = turn + np.arange(6) * 4 * math.pi / 5  # a pentagram in one stroke
    return [_line(rng, *zip(0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles), strict=True))]


def asterisk(rng):
    count = int(rng.integers(3, 5))
    turn = _u(rng, 0, math.pi)
    strokes = []
    for index in range(count):
        angle = turn + index * math.pi / count
        dx, dy = 0.5 * math.cos(angle), 0.5 * math.sin(angle)
        strokes.append(_line(rng, (0.5 - dx, 0.5 - dy), (0.5 + dx, 0.5 + dy)))
    return strokes


def spiral(rng):
    turns = _u(rng, 2, 3.5)
    angles = np.linspace(0, turns * 2 * math.pi, 120) + _u(rng, 0, 2 * math.pi)
    radius = np.linspace(0.05, 0.5, 120)
    side = 1 if rng.random() < 0.5 else -1
    return [np.stack([0.5 + radius * np.cos(side * angles), 0.5 + radius * np.sin(angles)], 1)]


def zigzag(rng):
    teeth = int(rng.integers(3, 7))
    xs = np.linspace(0, 1, teeth * 2 + 1)
    points = [(x, 0.0 if index % 2 else 1.0) for index, x in enumerate(xs)]
    strokes = [_line(rng, *points)]
    if rng.random() < 0.5:  # a vertical zigzag
        strokes = [stroke[:, ::-1] for stroke in strokes]
    return strokes


def wave(rng):
    xs = np.linspace(0, 1, 80)
    periods = _u(rng, 1.5, 3.5)
    ys = 0.5 + _u(rng, 0.15, 0.4) * np.sin(2 * math.pi * periods * xs + _u(rng, 0, 6))
    return [np.stack([xs, ys], 1)]


def scribble(rng):
    """A random smooth tangle: a walk whose direction turns at random."""
    count = int(rng.integers(80, 200))
    turns = np.cumsum(rng.normal(0, 0.5, count))
    steps = np.stack([np.cos(turns), np.sin(turns)], 1) * 0.03
    return [np.cumsum(steps, axis=0)]


def tangle(rng):
    """Another scribble: a smooth line through 5-12 random points."""
    corners = rng.uniform(0, 1, (int(rng.integers(5, 13)), 2))
    dense = np.concatenate(
        [np.linspace(a, b, 10)[:-1] for a, b in zip(corners[:-1], corners[1:], strict=True)]
    )
    kernel = np.ones(7) / 7
    return [np.stack([np.convolve(dense[:, axis], kernel, "valid") for axis in (0, 1)], 1)]


def heart(rng):
    t = np.linspace(0, 2 * math.pi, 80)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([x, y], 1) / 32 + rng.normal(0, 0.004, (80, 2))]


def triangle(rng):
    return [_line(rng, (0.5, 0), (1, 1), (0, 1), (0.5, 0))]


def boxed_cross(rng):
    return [
        _line(rng, (0, 0), (1, 0), (1, 1), (0, 1), (0, 0)),
        _line(rng, (0, 0), (1, 1)),
        _line(rng, (1, 0), (0, 1)),
    ]


def dots(rng):
    count = int(rng.integers(1, 4))
    return [rng.uniform(0, 1, (1, 2)) for _ in range(count)]


MARKS = {
    "X": letter_x,
    "K": letter_k,
    "W": letter_w,
    "M": letter_m,
    "A": letter_a,
    "H": letter_h,
    "N": letter_n,
    "E": letter_e,
    "F": letter_f,
    "R": letter_r,
    "Y": letter_y,
    "V": letter_v,
    "T": letter_t,
    "#": hash_sign,
    "smiley": smiley,
    "star": star,
    "asterisk": asterisk,
    "spiral": spiral,
    "zigzag": zigzag,
    "wave": wave,
    "scribble": scribble,
    "tangle": tangle,
    "heart": heart,
    "triangle": triangle,
    "boxed cross": boxed_cross,
    "dots": dots,
}


def random_mark(rng: np.random.Generator) -> Strokes:
    """A random mark of a random kind, stretched, slanted and fitted into the unit box."""
    kind = list(MARKS)[rng.integers(len(MARKS))]
    strokes = MARKS[kind](rng)
    slant = math.tan(math.radians(rng.uniform(-15, 15)))
    stretch = np.array([rng.uniform(0.6, 1.4), 1.0])
    strokes = [(stroke * stretch) @ np.array([[1, 0], [-slant, 1]]) for stroke in strokes]
    everything = np.concatenate(strokes)
    low, high = everything.min(axis=0), everything.max(axis=0)
    scale = max(float((high - low).max()), 1e-6)
    centre = (low + high) / 2
    if kind == "dots":  # dots keep their spacing: two dots far apart or close together
        scale = max(scale, rng.uniform(0.3, 1.0))
    return [(stroke - centre) / scale + 0.5 for stroke in strokes]
