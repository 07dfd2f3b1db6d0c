"""Synthetic handwriting: digits as pen strokes, drawn the way a person draws with a mouse.

Used by the tests, by the browser test that draws on the app's canvas with real mouse strokes,
and by the benchmark. A stroke is a list of points (x, y) in the unit square, y pointing down.

Each digit is first described in "glyph" coordinates (about 0.6 wide and 1 tall, y down) as
lines, Bezier curves and elliptic arcs. Then it gets a wobble (jitter), a slant, an aspect
ratio, a size and a position, all random.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

from mnist_cnn.handwriting import draw_strokes

Stroke = list[tuple[float, float]]  # points (x, y) in [0, 1], y down

MARGIN = 0.02  # every point lies in [MARGIN, 1 - MARGIN]
POINT_SPACING = 0.07  # distance between the points of a stroke, in glyph heights
SLANT_DEGREES = 15  # slant is uniform in [-15, 15] degrees; positive leans right
ASPECT_RANGE = (0.8, 1.25)  # the width is multiplied by this
HEIGHT_RANGE = (0.4, 0.85)  # the digit's height, as a fraction of the field
JITTER = 0.03  # size of the slow wobble along a stroke, in glyph heights
TREMOR = 0.004  # size of the point-to-point shake, in glyph heights


def digit_strokes(digit: int, rng: np.random.Generator) -> list[Stroke]:
    """A handwritten-looking `digit` as 1-3 pen strokes, in unit coordinates.

    One of several styles is picked (e.g. a 7 with or without a bar), then the digit gets a
    random wobble, slant (-15 to 15 degrees), aspect, height (40%-85% of the field) and
    position. All points lie in [0.02, 0.98].
    """
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an integer from 0 to 9. Received: digit={digit!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy Generator, e.g. np.random.default_rng(0). Received: rng={rng!r}"
        )
    glyph = GLYPHS[int(digit)](rng)
    wobbly = [_jitter(stroke, rng) for stroke in glyph]
    return _place(wobbly, rng)


def long_flag_one(rng: np.random.Generator) -> list[Stroke]:
    """A 1 with a long flag, reaching well left of the stem, as some people write it (one of
    the pen-written digits' writers does): networks that learned from MNIST read it as a 7.
    Wobbled, slanted and placed like digit_strokes's digits."""
    glyph = [_stroke(_line((-0.2, 0.25), (0.32, 0.0)), _line((0.32, 0.0), (0.32, 1.0)))]
    return _place([_jitter(stroke, rng) for stroke in glyph], rng)


def render_strokes(
    strokes: list[Stroke],
    size: int = 280,
    stroke_width: float = 18,
    ink_on_dark: bool = True,
    background: str = "opaque",
) -> Image.Image:
    """Draw `strokes` on a `size` x `size` image with a round pen `stroke_width` pixels wide.

    background="opaque" gives an "L" image: white ink on black when `ink_on_dark`, else black
    on white. background="transparent" gives an "RGBA" image like the drawing canvas makes:
    transparent, with opaque ink (white when `ink_on_dark`, else black).
    """
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 pixels. Received: size={size!r}")
    if background not in ("opaque", "transparent"):
        raise ValueError(
            f"background must be 'opaque' or 'transparent'. Received: background={background!r}"
        )
    if not stroke_width > 0:
        raise ValueError(f"stroke_width must be positive. Received: stroke_width={stroke_width!r}")
    # the package's round pen, the one its training drawings use
    in_pixels = [np.asarray(stroke, dtype=float).reshape(-1, 2) * size for stroke in strokes]
    mask = Image.fromarray(draw_strokes(in_pixels, stroke_width, size).image)
    if background == "opaque":
        return mask if ink_on_dark else ImageOps.invert(mask)
    ink = 255 if ink_on_dark else 0
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste((ink, ink, ink, 255), mask=mask)
    return image


def make_drawn_digits(
    count: int, seed: int = 0, size: int = 280
) -> list[tuple[Image.Image, int, list[Stroke]]]:
    """`count` drawn digits as (image, digit, strokes), balanced over 0-9, in random order.

    The pen is 4%-11% of `size` wide; half are white ink on black and half black on white;
    about a quarter have a transparent background (RGBA) and some opaque ones mild noise.
    Each image's info says how it was drawn: info["ink_on_dark"] and info["background"].
    """
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer. Received: count={count!r}")
    rng = np.random.default_rng(seed)
    samples = []
    for digit in rng.permutation(np.arange(count) % 10):
        strokes = digit_strokes(int(digit), rng)
        stroke_width = rng.uniform(0.04, 0.11) * size
        ink_on_dark = bool(rng.random() < 0.5)
        background = "transparent" if rng.random() < 0.25 else "opaque"
        image = render_strokes(strokes, size, stroke_width, ink_on_dark, background)
        if background == "opaque" and rng.random() < 0.2:
            noisy = np.asarray(image, np.float32) + rng.normal(0, 12, (size, size))
            image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        image.info["ink_on_dark"] = ink_on_dark
        image.info["background"] = background
        samples.append((image, int(digit), strokes))
    return samples


# --- Building blocks, in glyph coordinates ---------------------------------------------------


def _line(*points) -> np.ndarray:
    """A straight polyline through `points`."""
    return np.array(points, dtype=float)


def _bezier(*control_points, count: int = 60) -> np.ndarray:
    """A Bezier curve through the first and last of `control_points`, pulled by the others."""
    controls = np.array(control_points, dtype=float)
    degree = len(controls) - 1
    t = np.linspace(0, 1, count)[:, np.newaxis]
    weights = [math.comb(degree, k) * t**k * (1 - t) ** (degree - k) for k in range(degree + 1)]
    return sum(weight * point for weight, point in zip(weights, controls, strict=True))


def _arc(centre, radii, start_degrees: float, end_degrees: float, count: int = 60) -> np.ndarray:
    """An elliptic arc. 0 degrees is right, 90 is down (y points down), 270 is the top;
    decreasing angles go anticlockwise on screen."""
    angles = np.radians(np.linspace(start_degrees, end_degrees, count))
    x = centre[0] + radii[0] * np.cos(angles)
    y = centre[1] + radii[1] * np.sin(angles)
    return np.stack([x, y], axis=1)


def _stroke(*pieces: np.ndarray) -> np.ndarray:
    """Join pieces (each starting where the last ended) into one stroke with evenly spaced
    points. Piece ends are kept, so corners stay sharp."""
    resampled = [_resample(piece, POINT_SPACING) for piece in pieces]
    return np.concatenate([resampled[0]] + [piece[1:] for piece in resampled[1:]])


def _resample(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points evenly spaced along the polyline `points`, about `spacing` apart."""
    lengths = np.hypot(*np.diff(points, axis=0).T)
    distance = np.concatenate([[0], np.cumsum(lengths)])
    count = max(2, math.ceil(distance[-1] / spacing) + 1)
    targets = np.linspace(0, distance[-1], count)
    return np.stack([np.interp(targets, distance, points[:, i]) for i in (0, 1)], axis=1)


def _jitter(stroke: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add a slow wobble (a few random offsets blended along the stroke) and a small tremor."""
    position = np.linspace(0, 1, len(stroke))
    anchors = rng.normal(0, JITTER, (4, 2))
    anchor_positions = np.linspace(0, 1, len(anchors))
    wobble = np.stack([np.interp(position, anchor_positions, anchors[:, i]) for i in (0, 1)], 1)
    return stroke + wobble + rng.normal(0, TREMOR, stroke.shape)


def _place(strokes: list[np.ndarray], rng: np.random.Generator) -> list[Stroke]:
    """Slant, stretch, scale and move the glyph to a random place in the unit square."""
    slant = math.tan(math.radians(rng.uniform(-SLANT_DEGREES, SLANT_DEGREES)))
    aspect = rng.uniform(*ASPECT_RANGE)
    shaped = []
    for stroke in strokes:
        x = stroke[:, 0] * aspect + slant * (1 - stroke[:, 1])  # the top leans by `slant`
        shaped.append(np.stack([x, stroke[:, 1]], axis=1))
    every_point = np.concatenate(shaped)
    low, high = every_point.min(axis=0), every_point.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    usable = 1 - 2 * MARGIN
    scale = min(rng.uniform(*HEIGHT_RANGE) / extent[1], usable / extent[0])
    size = extent * scale
    offset = [rng.uniform(MARGIN, 1 - MARGIN - size[0]), rng.uniform(MARGIN, 1 - MARGIN - size[1])]
    placed = []
    for stroke in shaped:
        points = np.clip((stroke - low) * scale + offset, MARGIN, 1 - MARGIN)
        placed.append([(float(x), float(y)) for x, y in points])
    return placed


# --- The digits: each function picks a style and returns its strokes -------------------------


def _zero(rng):
    width = rng.uniform(0.22, 0.32)
    if rng.random() < 0.5:  # started at the top, anticlockwise, a little overlap
        return [_stroke(_arc((0.3, 0.5), (width, 0.5), 270, -100))]
    # started at the top right, clockwise, closing with a point at the top
    return [
        _stroke(
            _bezier((0.4, 0.02), (0.0, -0.05), (-0.05, 1.0), (0.3, 1.0)),
            _bezier((0.3, 1.0), (0.7, 1.0), (0.65, -0.05), (0.3, 0.05)),
        )
    ]


def _one(rng):
    style = rng.integers(3)
    if style == 0:  # a plain bar
        return [_stroke(_line((0.3, 0.0), (0.3, 1.0)))]
    flagged = _stroke(_line((0.08, 0.22), (0.32, 0.0)), _line((0.32, 0.0), (0.32, 1.0)))
    if style == 1:  # with a flag
        return [flagged]
    return [flagged, _stroke(_line((0.08, 1.0), (0.56, 1.0)))]  # with a flag and a base


def _two(rng):
    top = _bezier((0.04, 0.25), (0.08, -0.06), (0.62, -0.08), (0.56, 0.3))
    if rng.random() < 0.5:  # plain
        return [
            _stroke(
                top,
                _bezier((0.56, 0.3), (0.5, 0.55), (0.15, 0.75), (0.0, 1.0)),
                _line((0.0, 1.0), (0.62, 0.98)),
            )
        ]
    # with a loop at the bottom left
    return [
        _stroke(
            top,
            _bezier((0.56, 0.3), (0.5, 0.6), (0.2, 0.8), (0.06, 0.95)),
            _bezier((0.06, 0.95), (0.0, 1.02), (0.3, 0.78), (0.25, 0.98)),
            _bezier((0.25, 0.98), (0.35, 1.0), (0.5, 0.97), (0.62, 0.98)),
        )
    ]


def _three(rng):
    bottom = [
        _bezier((0.22, 0.45), (0.75, 0.42), (0.72, 1.0), (0.25, 1.0)),
        _bezier((0.25, 1.0), (0.15, 1.0), (0.05, 0.95), (0.0, 0.86)),
    ]
    if rng.random() < 0.5:  # two round bumps
        top = [
            _bezier((0.04, 0.12), (0.25, -0.08), (0.65, -0.02), (0.52, 0.27)),
            _bezier((0.52, 0.27), (0.45, 0.42), (0.32, 0.45), (0.22, 0.45)),
        ]
    else:  # a flat top with a sharp corner
        top = [_line((0.05, 0.0), (0.58, 0.0)), _line((0.58, 0.0), (0.22, 0.45))]
    return [_stroke(*top, *bottom)]


def _four(rng):
    if rng.random() < 0.5:  # open: an L, then the stem
        return [
            _stroke(_line((0.12, 0.0), (0.02, 0.62)), _line((0.02, 0.62), (0.64, 0.62))),
            _stroke(_line((0.47, 0.2), (0.45, 1.0))),
        ]
    # closed: a diagonal and a bar, then the stem from the top
    return [
        _stroke(_line((0.45, 0.0), (0.0, 0.66)), _line((0.0, 0.66), (0.64, 0.66))),
        _stroke(_line((0.45, 0.0), (0.45, 1.0))),
    ]


def _five(rng):
    belly = [
        _line((0.1, 0.0), (0.06, 0.45)),
        _bezier((0.06, 0.45), (0.5, 0.25), (0.8, 0.75), (0.4, 0.97)),
        _bezier((0.4, 0.97), (0.25, 1.04), (0.05, 0.98), (0.0, 0.88)),
    ]
    if rng.random() < 0.5:  # the body, then the flag on top as a second stroke
        return [_stroke(*belly), _stroke(_line((0.1, 0.0), (0.58, 0.0)))]
    return [_stroke(_line((0.58, 0.0), (0.1, 0.0)), *belly)]  # all in one go


def _six(rng):
    loop = [
        _bezier((0.03, 0.7), (0.05, 1.05), (0.58, 1.05), (0.56, 0.72)),
        _bezier((0.56, 0.72), (0.55, 0.42), (0.1, 0.42), (0.05, 0.68)),
    ]
    if rng.random() < 0.5:  # a curved back
        return [_stroke(_bezier((0.5, 0.02), (0.2, 0.1), (0.0, 0.45), (0.03, 0.7)), *loop)]
    return [_stroke(_line((0.48, 0.0), (0.03, 0.7)), *loop)]  # a straight back


def _seven(rng):
    style = rng.integers(3)
    bar = _line((0.0, 0.02), (0.6, 0.0))
    if style == 2:  # a curved stem
        return [_stroke(bar, _bezier((0.6, 0.0), (0.3, 0.35), (0.18, 0.65), (0.2, 1.0)))]
    strokes = [_stroke(bar, _line((0.6, 0.0), (0.2, 1.0)))]
    if style == 1:  # with a bar across the middle
        strokes.append(_stroke(_line((0.18, 0.5), (0.55, 0.48))))
    return strokes


def _eight(rng):
    if rng.random() < 0.5:  # one stroke: an S down, then back up
        return [
            _stroke(
                _bezier((0.52, 0.12), (0.4, -0.05), (0.05, 0.0), (0.1, 0.22)),
                _bezier((0.1, 0.22), (0.15, 0.4), (0.6, 0.5), (0.6, 0.75)),
                _bezier((0.6, 0.75), (0.6, 1.02), (0.0, 1.02), (0.02, 0.75)),
                _bezier((0.02, 0.75), (0.05, 0.5), (0.55, 0.42), (0.52, 0.12)),
            )
        ]
    # two loops, a small one on a bigger one
    return [
        _stroke(_arc((0.3, 0.24), (0.22, 0.24), 270, -90)),
        _stroke(_arc((0.3, 0.73), (0.29, 0.27), 270, -90)),
    ]


def _nine(rng):
    loop = _arc((0.3, 0.27), (0.27, 0.27), -10, -370)
    if rng.random() < 0.5:  # a straight tail
        return [_stroke(loop, _line(loop[-1], (0.5, 1.0)))]
    return [_stroke(loop, _bezier(loop[-1], (0.6, 0.6), (0.5, 0.98), (0.12, 0.95)))]


GLYPHS = [_zero, _one, _two, _three, _four, _five, _six, _seven, _eight, _nine]
