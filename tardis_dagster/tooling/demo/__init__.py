"""Demo data for the demo products of the meal-kit company (generated, never committed)."""
