"""The standardize job's parts: casting and PII hashing, load types, schema evolution, audits."""
