"""dEdZ: see and compute the gradient of softmax + cross-entropy."""

__version__ = "0.1.0"
