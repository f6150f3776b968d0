"""Post-publish quality: each spec's `quality:` rules as asset checks on its published table."""
