"""hwr: handwritten digit recognition with a CNN trained on MNIST."""

from hwr.preprocess import InvalidImageError
from hwr.recognizer import DigitRecognizer, ModelLoadError, NumberRecognition, Recognition

__all__ = ["DigitRecognizer", "InvalidImageError", "ModelLoadError", "NumberRecognition",
           "Recognition"]
