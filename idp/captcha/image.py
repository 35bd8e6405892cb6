"""The captcha image, drawn by the `captcha` package with readability in mind: dark
characters on a light background, big type, moderate rotation (the services the seeds
describe were criticised for illegible codes)."""

from __future__ import annotations

import secrets
from functools import lru_cache

from captcha.image import ImageCaptcha
from PIL import Image
from PIL.ImageDraw import Draw

WIDTH = 280
HEIGHT = 90


class ReadableImageCaptcha(ImageCaptcha):
    character_rotate = (-15, 15)
    character_warp_dx = (0.1, 0.2)
    character_warp_dy = (0.1, 0.2)
    word_space_probability = 0.7

    def generate_image(self, chars, bg_color=None, fg_color=None):
        # One dark ink (contrast above 7:1 on the near-white paper).
        ink = (*(secrets.randbelow(60) for _ in range(3)), 255)
        paper = tuple(245 + secrets.randbelow(11) for _ in range(3))
        return super().generate_image(chars, bg_color=paper, fg_color=ink)

    def create_captcha_image(self, chars, color, background):
        # Same layout as the package's, but each character is pasted through its alpha
        # channel: the package masks with the glyph's luminance, which makes dark ink faint.
        images = [self._draw_character(c, Draw(Image.new("RGB", (1, 1))), color) for c in chars]
        gaps = [6 + secrets.randbelow(10) for _ in images]
        text_width = sum(im.size[0] for im in images) + sum(gaps)
        image = Image.new("RGB", (max(text_width + 20, self._width), self._height), background)
        offset = 10
        for im, gap in zip(images, gaps, strict=True):
            width, height = im.size
            image.paste(im, (offset, max(0, (self._height - height) // 2)), im.getchannel("A"))
            offset += width + gap
        if image.size[0] > self._width:
            image = image.resize((self._width, self._height))
        return image

    @staticmethod
    def create_noise_dots(image, color, width=2, number=25):
        return ImageCaptcha.create_noise_dots(image, color, width=width, number=number)


@lru_cache(maxsize=1)
def _generator() -> ReadableImageCaptcha:
    return ReadableImageCaptcha(width=WIDTH, height=HEIGHT, font_sizes=(54, 60, 64))


def render_image(text: str) -> bytes:
    """A PNG of `text`."""
    return _generator().generate(text, format="png").getvalue()
