"""Data contracts: what a product promises its consumers, and the checks that keep the promise.

Pre-flight (`tardis check`): `changes` classifies spec changes, `versioning` checks the semver bump,
`compatibility/` checks Kafka schema evolution, `consumers` finds who is affected, `preflight`
compares HEAD with a git base and `report` prints the findings.
"""
