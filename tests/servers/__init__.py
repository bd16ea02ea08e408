"""Local test servers (127.0.0.1, ephemeral ports) shared by the test suites."""
