"""Marshmallow schemas: they validate requests, shape responses and are the OpenAPI document."""
