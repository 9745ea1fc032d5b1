"""The loader of process definitions, one module per section (see process_models/loader.py)."""
