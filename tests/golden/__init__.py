"""Golden tests: generated trees byte-compared with reviewed expected/ trees."""
