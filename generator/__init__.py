"""oapigen: OpenAPI 3.x documents in, typed Python client packages out."""

__version__ = "0.1.0"
