"""The contract every face speaks: the number grammar, the request and response models, the
query grammar, and `compute(request) -> GradientResult`."""
