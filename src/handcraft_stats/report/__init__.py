"""Renderers of result objects: json, csv, md (table lives in cli, xlsx later)."""
