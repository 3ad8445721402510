"""AWS is emulated by moto's server; this package holds the estate the tests and the demo build on it."""
