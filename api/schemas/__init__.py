"""Pydantic request and response models: the API's edge. Domain records are converted here."""
