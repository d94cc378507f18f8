"""Detection: recognizers, vectorised validators, column classification and masking."""
