"""hwr: handwritten digit recognition with a CNN trained on MNIST."""

from hwr.reading.preprocess import InvalidImageError
from hwr.reading.recognizer import DigitRecognizer, ModelLoadError, NumberRecognition, Recognition

__all__ = ["DigitRecognizer", "InvalidImageError", "ModelLoadError", "NumberRecognition",
           "Recognition"]
