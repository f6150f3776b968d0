"""Landing: sources (files, Kafka) into the append-only raw layer."""
