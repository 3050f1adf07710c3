"""Model backends: the ``replay`` backend and the embedded default model."""
