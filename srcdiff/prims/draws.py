"""Random draws inside a differentiated function: constants of the call, drawn once per call in
the forward part."""
