"""`tardis pr`: a product's files on a branch of their own, committed and pushed, with a pull request
description (what it creates, the `tardis check` and `tardis test` reports, the owners to review).

files.py finds the product's files, description.py writes the description, branch.py drives git.
"""
