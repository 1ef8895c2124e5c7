"""Experiment drivers of the chapters (settings per profile, recipes, tables): one module per paper."""
