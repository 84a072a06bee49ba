"""dockerdiet: image-size, layer and build-cache review for Dockerfiles."""

__version__ = "0.1.0"
