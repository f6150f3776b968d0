"""The `dg` defs folder: each sub-folder holds one component instance."""
