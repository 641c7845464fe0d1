"""Running compiled models: the host simulator, the numpy interpreter, reference runtimes."""
