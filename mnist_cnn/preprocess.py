"""Turning a drawing or a photo of a digit into the 28x28 input an MNIST network expects.

MNIST digits are light ink on a dark field, about 20 pixels tall, with the centre of mass of
the ink in the middle of a 28x28 image. The recipe here makes the same from any picture:

1. find the ink (`load_image`): light ink on dark, dark ink on light, ink on a transparent
   background, or a photo of paper with uneven light;
2. clean it: rescale so the strongest ink is 1 and drop faint noise (or call the image blank);
3. crop to the bounding box of the ink;
4. fit the crop into a 20x20 box, keeping its aspect ratio;
5. place it in a 28x28 field so the centre of mass of the ink is at the centre (14, 14).
"""

from __future__ import annotations

import io
import math
import pathlib
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

MAX_PIXELS = 25_000_000  # larger images are refused
WORKING_SIDE = 512  # bigger inputs are first shrunk until their longer side is at most this
DISPLAY_SIDE = 280  # the "ink" step is shrunk to at most this for the app to show
FIELD_SIZE = 28  # the final image is FIELD_SIZE x FIELD_SIZE ...
BOX_SIZE = 20  # ... with the ink fitted into a BOX_SIZE x BOX_SIZE box

MIN_CONTRAST = 0.1  # ink weaker than this (0-1 scale, after a 3x3 blur) is no ink at all
NOISE_LEVEL = 0.25  # ink weaker than this fraction of the strongest ink is noise
MIN_INK_PIXELS = 6  # fewer strong ink pixels than this is noise, not a digit ...
MIN_INK_FRACTION = 0.0005  # ... and so is less than this fraction of the image
BACKGROUND_PERCENTILE = 25  # the background level of a block of the image (ink is the minority)
FLAT_TOLERANCE = 0.05  # blocks whose levels differ less than this share one flat background

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # RGB -> grey, as PIL does


@dataclass(frozen=True)
class Preprocessed:
    """The result of `preprocess`.

    image: (28, 28) float32 in [0, 1], light ink on dark like MNIST; None when blank.
    blank: True when there is (almost) no ink; such an image must not be classified.
    steps: the intermediate images in order, name -> 2-D float32 in [0, 1], ink = 1:
        "ink" (the whole picture, at most 280 px a side), "cropped" (the ink's bounding box),
        "fitted" (scaled into the 20x20 box), "centred" (the final 28x28).
        A blank result has only "ink".
    """

    image: np.ndarray | None
    blank: bool
    steps: dict[str, np.ndarray]


def preprocess(source) -> Preprocessed:
    """Turn a drawing or a photo of one digit into an MNIST-style 28x28 image.

    `source` may be a numpy array ((H, W), (H, W, 1), RGB or RGBA; uint8, uint16, bool, or
    float in [0, 1]), a PIL image, a path to an image file, the bytes of an image file, or a
    binary file-like object such as Streamlit's UploadedFile.
    Raises ValueError when the input cannot be used, with a message that says why.
    """
    ink = load_image(source)
    cleaned = _clean_ink(ink)
    if cleaned is None:
        return Preprocessed(image=None, blank=True, steps={"ink": _for_display(ink)})
    cropped = _crop_to_ink(cleaned)
    fitted = _fit_into_box(cropped, BOX_SIZE)
    centred = _centre_by_mass(fitted, FIELD_SIZE)
    steps = {
        "ink": _for_display(cleaned),
        "cropped": cropped,
        "fitted": _pad_to_square(fitted, BOX_SIZE),
        "centred": centred,
    }
    return Preprocessed(image=centred, blank=False, steps=steps)


def load_image(source) -> np.ndarray:
    """Read any accepted `source` (see `preprocess`) into a 2-D float32 "ink" image.

    Ink is 1 and the background 0, whatever the polarity of the input. Big inputs are shrunk
    so the longer side is at most WORKING_SIDE pixels. The background level (also an uneven
    one, as in a photo of paper) is subtracted, but the ink is not yet rescaled or denoised.
    """
    pixels = _read_pixels(source)
    divisor = _value_divisor(pixels)
    channels = _shrink(pixels) / np.float32(divisor)
    return _extract_ink(channels)


# --- Reading the input into an (H, W, C) array -------------------------------------------------


def _read_pixels(source) -> np.ndarray:
    """Any accepted source -> an (H, W, C) array with C in 1-4 (grey, grey+alpha, RGB, RGBA)."""
    if isinstance(source, np.ndarray):
        return _check_array(source)
    image_or_file = _image_or_file(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if isinstance(image_or_file, Image.Image):
                return _pixels_from_pil(image_or_file)
            with Image.open(image_or_file) as image:
                _check_pixel_count(image.width, image.height)  # before decoding the pixels
                # JPEG files can be decoded at 1/2, 1/4 or 1/8 size: fast for big photos.
                image.draft(None, (WORKING_SIDE, WORKING_SIDE))
                return _pixels_from_pil(image)
    except ValueError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(
            f"The image is too large: at most {MAX_PIXELS:,} pixels are accepted. "
            f"Resize it and try again. ({error})"
        ) from error
    except Image.UnidentifiedImageError as error:
        raise ValueError(
            "This is not an image file that can be read. Use a PNG, JPEG, GIF, BMP or WebP "
            f"image. Received: source={_describe(source)}"
        ) from error
    except Exception as error:  # a damaged file can make the decoder raise almost anything
        raise ValueError(
            f"The image file could not be decoded; it may be truncated or damaged ({error}). "
            f"Save it again and retry. Received: source={_describe(source)}"
        ) from error


def _image_or_file(source) -> Image.Image | pathlib.Path | io.BytesIO:
    """A PIL image as it is; a path, bytes or file-like object as something Image.open reads."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (str, pathlib.Path)):
        path = pathlib.Path(source)
        if not path.is_file():
            raise ValueError(f"There is no image file at this path. Received: source={source!r}")
        return path
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "getvalue") or hasattr(source, "read"):
        # Streamlit's UploadedFile and io.BytesIO have getvalue(), which ignores the position.
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if not isinstance(data, bytes):
            raise ValueError(
                "The file gave text, not bytes: open it in binary mode ('rb'). "
                f"Received: source={_describe(source)}"
            )
    else:
        raise ValueError(
            "Cannot read an image from this. Pass a numpy array, a PIL image, a file path, "
            f"bytes or a binary file object. Received: source={_describe(source)}"
        )
    if not data:
        raise ValueError(f"The image data is empty. Received: source={_describe(source)}")
    return io.BytesIO(data)


def _pixels_from_pil(image: Image.Image) -> np.ndarray:
    """A PIL image of any mode -> an (H, W, C) array. Animated images give their first frame."""
    _check_pixel_count(image.width, image.height)
    mode = image.mode
    if mode == "1":
        image = image.convert("L")
    elif mode in ("P", "PA"):
        image = image.convert("RGBA")  # a palette can hold a transparent colour
    elif mode not in ("L", "LA", "RGB", "RGBA", "I", "F") and not mode.startswith("I;16"):
        image = image.convert("RGBA" if "A" in mode or "a" in mode else "RGB")  # CMYK, YCbCr...
    array = np.asarray(image)
    if image.mode == "F" and array.max() > 1:
        array = array / 255  # PIL's float images usually hold 0-255
    return _check_array(array)


def _check_array(array: np.ndarray) -> np.ndarray:
    """Check the shape and dtype of an image array; return it as (H, W, C)."""
    if array.size == 0:
        raise ValueError(f"The image is empty. Received: array.shape={array.shape}")
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3:
        raise ValueError(
            "An image array must be (H, W) grayscale or (H, W, C) with C channels. "
            f"Received: array.shape={array.shape}"
        )
    if array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            "An image array needs 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels. "
            f"Received: array.shape={array.shape}"
        )
    if array.dtype.kind not in "biuf":
        raise ValueError(
            "An image array must hold numbers: uint8, uint16, bool, or float in [0, 1]. "
            f"Received: array.dtype={array.dtype}"
        )
    _check_pixel_count(array.shape[1], array.shape[0])
    return array


def _check_pixel_count(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"The image is too large: at most {MAX_PIXELS:,} pixels are accepted. Resize it and "
            f"try again. Received: width={width}, height={height}"
        )


def _value_divisor(pixels: np.ndarray) -> float:
    """The number that divides the pixel values into [0, 1]; checks the values are valid."""
    kind, size = pixels.dtype.kind, pixels.dtype.itemsize
    if kind == "b":
        return 1.0
    if kind == "u" and size == 1:
        return 255.0
    if kind == "u" and size == 2:
        return 65535.0
    if kind == "f":
        if not np.isfinite(pixels).all():
            raise ValueError(
                "The image contains NaN or infinite values. Received: an array with "
                f"{np.count_nonzero(~np.isfinite(pixels))} such values"
            )
        low, high = float(pixels.min()), float(pixels.max())
        if low < 0 or high > 1:
            raise ValueError(
                "A float image must have values in [0, 1]; divide 0-255 values by 255. "
                f"Received: min={low}, max={high}"
            )
        return 1.0
    # Other integer types (int32, int64, PIL's "I" mode): guess the range from the values.
    low, high = int(pixels.min()), int(pixels.max())
    if low < 0 or high > 65535:
        raise ValueError(
            "Integer image values must be in 0-255 (8 bit) or 0-65535 (16 bit). "
            f"Received: min={low}, max={high}"
        )
    return 255.0 if high <= 255 else 65535.0


def _shrink(pixels: np.ndarray) -> np.ndarray:
    """Average blocks of pixels so the longer side is at most WORKING_SIDE; return float32."""
    height, width, channel_count = pixels.shape
    factor = math.ceil(max(height, width) / WORKING_SIDE)
    if factor == 1:
        return pixels.astype(np.float32)
    planes = []
    for channel in range(channel_count):
        plane = pixels[:, :, channel]
        if plane.dtype != np.uint8:
            plane = plane.astype(np.float32)
        reduced = Image.fromarray(np.ascontiguousarray(plane)).reduce(factor)
        planes.append(np.asarray(reduced, dtype=np.float32))
    return np.stack(planes, axis=2)


def _describe(source) -> str:
    """A short description of an input for error messages."""
    text = repr(source)
    return text if len(text) <= 80 else f"<{type(source).__name__}>"


# --- Finding the ink ---------------------------------------------------------------------------


def _extract_ink(channels: np.ndarray) -> np.ndarray:
    """(H, W, C) float32 in [0, 1] -> 2-D ink image: ink 1, background 0."""
    channel_count = channels.shape[2]
    has_alpha = channel_count in (2, 4)
    colour = channels[:, :, : channel_count - 1] if has_alpha else channels
    luma = colour[:, :, 0] if colour.shape[2] == 1 else colour @ LUMA_WEIGHTS
    if has_alpha and channels[:, :, -1].min() < 1:
        alpha = channels[:, :, -1]
        opaque = alpha > 0.5
        if opaque.mean() < 0.5:
            # Strokes on a transparent background (the drawing canvas): ink is where alpha is.
            return _subtract_background(alpha)
        # A picture with some transparent parts: fill them with the picture's dominant colour.
        dominant = np.median(luma[opaque])
        luma = alpha * luma + (1 - alpha) * dominant
    # The background is the dominant colour of the border. On a light one the ink is dark:
    # invert, so that ink is always the bright part.
    ink = 1 - luma if _border_median(luma) > 0.5 else luma
    return _subtract_background(ink)


def _border_median(image: np.ndarray) -> float:
    """The median of a thin band (2% of the side, at least 1 px) around the edge."""
    band = max(1, round(0.02 * min(image.shape)))
    border = np.concatenate(
        [
            image[:band].ravel(),
            image[-band:].ravel(),
            image[:, :band].ravel(),
            image[:, -band:].ravel(),
        ]
    )
    return float(np.median(border))


def _subtract_background(ink: np.ndarray) -> np.ndarray:
    """Subtract the local background level, which varies slowly (e.g. light on paper).

    The image is cut into up to 8x8 blocks; a low percentile of each block is its background
    level (thin ink is a minority of any block). Each level is then replaced by the median of
    its 3x3 neighbourhood of blocks, so a block covered by a thick stroke does not count, while
    a smooth change of light is kept. The levels are interpolated back to full size.

    When most blocks share the lowest level (a drawing, a scan: a flat background), that one
    level is subtracted everywhere instead, so that a thick pen covering whole blocks keeps all
    its ink.
    """
    height, width = ink.shape
    blocks = int(np.clip(min(height, width) // 16, 1, 8))
    block_height, block_width = height // blocks, width // blocks
    tiles = ink[: blocks * block_height, : blocks * block_width]
    tiles = tiles.reshape(blocks, block_height, blocks, block_width)
    levels = np.percentile(tiles, BACKGROUND_PERCENTILE, axis=(1, 3)).astype(np.float32)
    flat = levels <= levels.min() + FLAT_TOLERANCE
    if flat.mean() >= 0.5:
        return np.clip(ink - np.median(levels[flat]), 0, 1).astype(np.float32)
    levels = np.median(_neighbourhood(levels), axis=0)
    background = Image.fromarray(levels).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(ink - np.asarray(background), 0, 1).astype(np.float32)


def _neighbourhood(image: np.ndarray) -> list[np.ndarray]:
    """The 9 shifted copies of `image` that give each pixel's 3x3 neighbourhood."""
    height, width = image.shape
    padded = np.pad(image, 1, mode="edge")
    return [padded[row : row + height, col : col + width] for row in range(3) for col in range(3)]


def _clean_ink(ink: np.ndarray) -> np.ndarray | None:
    """Rescale so the strongest ink is 1 and zero faint noise; None when there is no digit.

    The strongest ink is measured on a 3x3 blur, so single bright noise pixels do not count.
    Ink below NOISE_LEVEL of it is dropped, and so is a speck: an ink pixel needs at least two
    ink pixels among its 8 neighbours (a line one pixel wide still has two).
    """
    blurred = sum(_neighbourhood(ink)) / 9
    strongest = float(blurred.max())
    if strongest < MIN_CONTRAST:
        return None
    scaled = np.clip(ink / strongest, 0, 1)
    inked = scaled >= NOISE_LEVEL
    inked_around = sum(_neighbourhood(inked.astype(np.uint8)))  # the pixel itself counts too
    cleaned = np.where(inked & (inked_around >= 3), scaled, 0).astype(np.float32)
    strong_pixels = np.count_nonzero(cleaned >= 0.5)
    if strong_pixels < max(MIN_INK_PIXELS, MIN_INK_FRACTION * cleaned.size):
        return None
    return cleaned


# --- The MNIST recipe --------------------------------------------------------------------------


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The bounding box of the non-zero pixels."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _fit_into_box(image: np.ndarray, box_size: int) -> np.ndarray:
    """Scale `image` so its longer side is `box_size`, keeping the aspect ratio."""
    height, width = image.shape
    scale = box_size / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(image.astype(np.float32)).resize(new_size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized), 0, 1)  # Lanczos can overshoot a little


def _centre_by_mass(patch: np.ndarray, field_size: int) -> np.ndarray:
    """Place `patch` in a field_size square so its centre of mass lands on the centre."""
    rows, cols = np.indices(patch.shape)
    total = patch.sum()
    centre = field_size / 2
    top = round(centre - (rows * patch).sum() / total)
    left = round(centre - (cols * patch).sum() / total)
    # Keep the whole patch inside the field, even for a lopsided digit.
    top = int(np.clip(top, 0, field_size - patch.shape[0]))
    left = int(np.clip(left, 0, field_size - patch.shape[1]))
    field = np.zeros((field_size, field_size), np.float32)
    field[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return field / field.max()


def _pad_to_square(patch: np.ndarray, size: int) -> np.ndarray:
    """Centre `patch` in a size x size square of zeros."""
    square = np.zeros((size, size), np.float32)
    top = (size - patch.shape[0]) // 2
    left = (size - patch.shape[1]) // 2
    square[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return square


def _for_display(ink: np.ndarray) -> np.ndarray:
    """Shrink an image so its longer side is at most DISPLAY_SIDE pixels."""
    height, width = ink.shape
    scale = DISPLAY_SIDE / max(height, width)
    if scale >= 1:
        return ink.astype(np.float32)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrunk = Image.fromarray(ink.astype(np.float32)).resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(shrunk), 0, 1)
