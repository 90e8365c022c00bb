"""Workflow definitions: the document model and its validation on save."""
